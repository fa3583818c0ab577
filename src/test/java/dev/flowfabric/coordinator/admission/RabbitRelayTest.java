package dev.flowfabric.coordinator.admission;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static dev.flowfabric.coordinator.admission.Api.ok;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The outbox relay against the machine's RabbitMQ (the test profile publishes there): every event
 * of a scenario arrives, with the event id as message id, even though the broker is stopped and
 * started again in the middle of it. A plain AMQP client consumes from the relay's exchange.
 */
@QuarkusTest
class RabbitRelayTest {

    static final String EXCHANGE = "flowfabric-events";

    @Test
    void everyEventArrivesAcrossABrokerRestart() throws Exception {
        // CI starts the machine's broker (.ci/run); a machine without one skips this test, not the suite.
        Assumptions.assumeTrue(brokerListening(), "no RabbitMQ on 127.0.0.1:5672");
        String queue = "ff-relay-test-" + UUID.randomUUID();
        Map<Long, String> received = new ConcurrentHashMap<>();
        Set<String> badIds = ConcurrentHashMap.newKeySet();
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(5672);
        factory.setUsername("guest");
        factory.setPassword("guest");
        factory.setAutomaticRecoveryEnabled(true);
        factory.setNetworkRecoveryInterval(500);
        String lane = Api.lane();
        List<String> executions = new ArrayList<>();
        try (Connection connection = factory.newConnection("flowfabric-relay-test")) {
            Channel channel = connection.createChannel();
            channel.exchangeDeclare(EXCHANGE, "topic", true);
            channel.queueDeclare(queue, true, false, false, null);
            channel.queueBind(queue, EXCHANGE, "execution.#");
            channel.basicConsume(queue, false, new DefaultConsumer(channel) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body)
                        throws IOException {
                    JsonPath event = new JsonPath(new String(body, StandardCharsets.UTF_8));
                    long id = event.getLong("event_id");
                    if (!Long.toString(id).equals(props.getMessageId())) {
                        badIds.add(props.getMessageId());
                    }
                    received.put(id, event.getString("execution_id"));
                    getChannel().basicAck(envelope.getDeliveryTag(), false);
                }
            });

            try {
                runWorkers(lane, executions, 10);
                rabbitmqctl("stop_app");
                runWorkers(lane, executions, 10);
                // A broker outage stalls the relay only: the service stays live and ready.
                given().get("/q/health/live").then().statusCode(200);
                given().get("/q/health/ready").then().statusCode(200);
                rabbitmqctl("start_app");
                rabbitmqctl("await_startup");
                runWorkers(lane, executions, 10);

                Set<Long> expected = new HashSet<>();
                for (String id : executions) {
                    expected.addAll(ok(given().get("/v1/events?execution_id=" + id), 200)
                            .getList("events.event_id", Long.class));
                }
                assertEquals(90, expected.size(), "created, claimed and completed for each of 30 executions");
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
                        .until(() -> received.keySet().containsAll(expected));
                assertTrue(badIds.isEmpty(), "message ids are event ids: " + badIds);
            } finally {
                rabbitmqctl("start_app");
                rabbitmqctl("await_startup");
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                    try (Connection c = factory.newConnection("flowfabric-relay-test-cleanup")) {
                        c.createChannel().queueDelete(queue);
                    }
                    return true;
                });
            }
        }
    }

    /** Creates {@code n} executions, then claims and completes each of them. */
    private static void runWorkers(String lane, List<String> executions, int n) {
        for (int i = 0; i < n; i++) {
            executions.add(Api.create(lane, "\"input\":{\"i\":" + executions.size() + "}"));
        }
        for (int i = 0; i < n; i++) {
            Api.complete(Api.claim(lane, 1).get(0));
        }
    }

    private static void rabbitmqctl(String command) throws Exception {
        Process p = new ProcessBuilder("rabbitmqctl", command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "rabbitmqctl " + command + " timed out");
        assertEquals(0, p.exitValue(), "rabbitmqctl " + command + ": " + out);
    }

    private static boolean brokerListening() {
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", 5672), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
