package dev.flowfabric.coordinator.api;

import io.quarkus.test.junit.QuarkusTest;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;

/** X-Request-Id is accepted, echoed, minted when absent or implausible, and carried in the log MDC. */
@QuarkusTest
class RequestIdTest {

    private static final String UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

    @Test
    void aPresentedIdIsEchoed() {
        given().header("X-Request-Id", "req-42.a:b").get("/v1/executions/" + UUID.randomUUID())
                .then().statusCode(404).header("X-Request-Id", equalTo("req-42.a:b"));
        given().header("X-Request-Id", "probe-1").get("/q/health/live")
                .then().statusCode(200).header("X-Request-Id", equalTo("probe-1"));
    }

    @Test
    void aMissingOrImplausibleIdIsReplaced() {
        given().get("/v1/executions/" + UUID.randomUUID())
                .then().header("X-Request-Id", matchesPattern(UUID_PATTERN));
        given().header("X-Request-Id", "x\" injected=1").get("/v1/executions/" + UUID.randomUUID())
                .then().header("X-Request-Id", matchesPattern(UUID_PATTERN));
        given().header("X-Request-Id", "a".repeat(129)).get("/v1/executions/" + UUID.randomUUID())
                .then().header("X-Request-Id", not(equalTo("a".repeat(129))));
    }

    @Test
    void theIdIsInTheMdcOfLinesLoggedForTheRequest() {
        Logger logger = Logger.getLogger(RequestContext.class.getName());
        Level level = logger.getLevel();
        List<ExtLogRecord> records = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record instanceof ExtLogRecord ext) {
                    ext.copyMdc();
                    records.add(ext);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(capture);
        logger.setLevel(Level.FINE);
        try {
            String id = "mdc-" + UUID.randomUUID();
            given().header("X-Request-Id", id).get("/v1/executions/" + UUID.randomUUID()).then().statusCode(404);
            await().atMost(Duration.ofSeconds(10)).until(() -> records.stream()
                    .anyMatch(r -> id.equals(r.getMdc(RequestContext.MDC_KEY))
                            && r.getFormattedMessage().contains("GET /v1/executions/")));
        } finally {
            logger.removeHandler(capture);
            logger.setLevel(level);
        }
    }
}
