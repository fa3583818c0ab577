package dev.flowfabric.coordinator.config;

import io.quarkus.runtime.Application;
import io.quarkus.runtime.LaunchMode;
import io.smallrye.config.ConfigSourceInterceptor;
import io.smallrye.config.ConfigSourceInterceptorContext;
import io.smallrye.config.ConfigValue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Chooses the database when nobody configured one, so `quarkus:dev`, `verify` and the jar start
 * on a machine with only a JDK. Order: a configured datasource URL (env, properties, Dev Services)
 * wins; else {@code FF_DB_URL}; else Dev Services when a Docker engine is reachable; else an
 * embedded PostgreSQL (dev and test profiles, or {@code FF_EMBEDDED_DB=true}).
 *
 * <p>Only the datasource keys are touched. Dev Services decides at build time, which is why the
 * interceptor also answers {@code devservices.enabled}: without Docker it must be off, or test
 * discovery fails before any fallback can run.
 */
public class DatabaseUrlInterceptor implements ConfigSourceInterceptor {

    static final String REACTIVE_URL = "quarkus.datasource.reactive.url";
    static final String JDBC_URL = "quarkus.datasource.jdbc.url";
    static final String USERNAME = "quarkus.datasource.username";
    static final String PASSWORD = "quarkus.datasource.password";
    static final String DEVSERVICES = "quarkus.datasource.devservices.enabled";

    @Override
    public ConfigValue getValue(ConfigSourceInterceptorContext context, String name) {
        ConfigValue configured = context.proceed(name);
        switch (name) {
            case REACTIVE_URL, JDBC_URL, USERNAME, PASSWORD, DEVSERVICES -> { }
            default -> { return configured; }
        }
        if (configured != null && configured.getValue() != null && !configured.getValue().isBlank()) {
            return configured;
        }
        if (userConfiguredUrl(context)) {
            return configured;
        }
        Optional<Target> target = FfDbUrl.parse(System.getenv("FF_DB_URL"));
        if (name.equals(DEVSERVICES)) {
            // Dev Services only when nothing else is chosen and a Docker engine exists.
            boolean useDevServices = target.isEmpty() && dockerAvailable() && !embeddedForced();
            return value(name, Boolean.toString(useDevServices));
        }
        if (target.isEmpty()) {
            if (dockerAvailable() && !embeddedForced()) {
                return configured; // Dev Services will supply the datasource.
            }
            if (!embeddedAllowed() || Application.currentApplication() == null) {
                return configured; // build time, or prod without opt-in: do not start a server
            }
            target = Optional.of(EmbeddedDatabase.target());
        }
        Target t = target.get();
        return switch (name) {
            case REACTIVE_URL -> value(name, t.reactiveUrl());
            case JDBC_URL -> value(name, t.jdbcUrl());
            case USERNAME -> value(name, t.username());
            case PASSWORD -> t.password() == null ? configured : value(name, t.password());
            default -> configured;
        };
    }

    private static boolean userConfiguredUrl(ConfigSourceInterceptorContext context) {
        for (String key : new String[] {REACTIVE_URL, JDBC_URL}) {
            ConfigValue v = context.proceed(key);
            if (v != null && v.getValue() != null && !v.getValue().isBlank()) {
                return true;
            }
        }
        return false;
    }

    private static boolean embeddedAllowed() {
        return embeddedForced() || LaunchMode.current() != LaunchMode.NORMAL;
    }

    private static boolean embeddedForced() {
        return "true".equalsIgnoreCase(System.getenv("FF_EMBEDDED_DB"));
    }

    static boolean dockerAvailable() {
        String host = System.getenv("DOCKER_HOST");
        if (host != null && !host.isBlank()) {
            return true;
        }
        return Files.exists(Path.of("/var/run/docker.sock"));
    }

    private static ConfigValue value(String name, String value) {
        return ConfigValue.builder().withName(name).withValue(value)
                .withConfigSourceName("flowfabric-database-chooser").withConfigSourceOrdinal(0).build();
    }

    /**
     * A database location in both URL dialects. The user travels inside both URLs as well (the
     * reactive pool did not always see a username supplied only as a property); the password never
     * does, so URLs that get logged carry no secret.
     */
    public record Target(String reactiveUrl, String jdbcUrl, String username, String password) {
        static Target of(String hostAndPort, String pathAndQuery, String user, String password) {
            String reactive = "postgresql://" + user + "@" + hostAndPort + pathAndQuery;
            String jdbc = "jdbc:postgresql://" + hostAndPort + pathAndQuery
                    + (pathAndQuery.contains("?") ? "&" : "?") + "user=" + user;
            return new Target(reactive, jdbc, user, password);
        }
    }

    /** {@code FF_DB_URL}: {@code postgresql://[user[:password]@]host[:port]/db}, with or without {@code jdbc:}. */
    static final class FfDbUrl {
        static Optional<Target> parse(String raw) {
            if (raw == null || raw.isBlank()) {
                return Optional.empty();
            }
            String url = raw.trim();
            if (url.startsWith("jdbc:")) {
                url = url.substring(5);
            }
            if (url.startsWith("postgres://")) {
                url = "postgresql://" + url.substring("postgres://".length());
            }
            URI uri = URI.create(url);
            String user = "postgres";
            String password = null;
            if (uri.getRawUserInfo() != null) {
                String[] parts = uri.getUserInfo().split(":", 2);
                user = parts[0];
                password = parts.length > 1 ? parts[1] : null;
            }
            String hostPart = uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
            String rest = (uri.getRawPath() == null ? "" : uri.getRawPath())
                    + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
            return Optional.of(Target.of(hostPart, rest, user, password));
        }
    }
}
