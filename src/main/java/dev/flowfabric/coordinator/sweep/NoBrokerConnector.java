package dev.flowfabric.coordinator.sweep;

import io.smallrye.reactive.messaging.connector.OutboundConnector;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.spi.Connector;

import java.util.concurrent.Flow;

/**
 * The default connector of {@code flowfabric-events} when no broker is configured: it acknowledges
 * and drops every message, so the service runs on Postgres alone (the events stay readable through
 * the API). Configure a real connector (profile {@code rabbitmq}) to publish them.
 */
@ApplicationScoped
@Connector(NoBrokerConnector.NAME)
public class NoBrokerConnector implements OutboundConnector {

    public static final String NAME = "flowfabric-no-broker";

    @Override
    public Flow.Subscriber<? extends Message<?>> getSubscriber(Config config) {
        return new Flow.Subscriber<Message<?>>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(Message<?> message) {
                message.ack();
            }

            @Override
            public void onError(Throwable failure) {
                // The relay resends from its cursor; nothing to keep here.
            }

            @Override
            public void onComplete() {
                // Nothing buffered.
            }
        };
    }
}
