package dev.flowfabric.coordinator.config;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * One embedded PostgreSQL per JVM. Dev-mode restarts and test profiles load application classes
 * in fresh class loaders, so the port lives in a system property and is reused; zonky's shutdown
 * hook stops the server when the JVM exits.
 */
final class EmbeddedDatabase {

    private static final String PORT_PROPERTY = "ff-embedded-db.port";

    private EmbeddedDatabase() {
    }

    static synchronized DatabaseUrlInterceptor.Target target() {
        String port = System.getProperty(PORT_PROPERTY);
        if (port == null) {
            try {
                EmbeddedPostgres pg = EmbeddedPostgres.builder()
                        .setServerConfig("max_connections", "300")
                        .start();
                port = Integer.toString(pg.getPort());
                System.setProperty(PORT_PROPERTY, port);
            } catch (IOException e) {
                throw new UncheckedIOException("could not start the embedded PostgreSQL", e);
            }
        }
        return DatabaseUrlInterceptor.Target.of("localhost:" + port, "/postgres", "postgres", null);
    }
}
