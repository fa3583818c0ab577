package dev.flowfabric.coordinator.service;

import io.quarkus.runtime.ShutdownEvent;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.pubsub.PgSubscriber;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.util.Optional;
import java.util.function.Consumer;

/**
 * The replica's one LISTEN connection: every wake-up channel (work, events, streams) shares it,
 * and it re-listens to all of them after a reconnect. Notifications are hints; each user also
 * re-checks on a timer, so a connection that is down costs latency, never work.
 */
@ApplicationScoped
public class PgListener {

    private static final Logger LOG = Logger.getLogger(PgListener.class);

    private final Vertx vertx;
    private final String url;
    private final Optional<String> username;
    private final Optional<String> password;
    private PgSubscriber subscriber;

    PgListener(Vertx vertx,
               @ConfigProperty(name = "quarkus.datasource.reactive.url") String url,
               @ConfigProperty(name = "quarkus.datasource.username") Optional<String> username,
               @ConfigProperty(name = "quarkus.datasource.password") Optional<String> password) {
        this.vertx = vertx;
        this.url = url;
        this.username = username;
        this.password = password;
    }

    /** Calls {@code handler} with the payload of every notification on {@code channel}. */
    public synchronized void listen(String channel, Consumer<String> handler) {
        if (subscriber == null) {
            PgConnectOptions options = PgConnectOptions.fromUri(url);
            username.ifPresent(options::setUser);
            password.ifPresent(options::setPassword);
            subscriber = PgSubscriber.subscriber(vertx, options).reconnectPolicy(retries -> 500L);
            subscriber.channel(channel).handler(handler::accept);
            subscriber.connect().onFailure(e -> LOG.warnf("LISTEN failed (%s); wake-ups fall back to polling",
                    e.getMessage()));
        } else {
            subscriber.channel(channel).handler(handler::accept);
        }
    }

    synchronized void stop(@Observes ShutdownEvent event) {
        if (subscriber != null) {
            subscriber.close();
        }
    }
}
