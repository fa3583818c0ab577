package dev.flowfabric.coordinator.support;

import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Builds a {@code POST /v1/lanes/{lane}/claim} call. */
public final class Claim {

    private final String lane;
    private final Map<String, Object> body = new LinkedHashMap<>();

    private Claim(String lane) {
        this.lane = lane;
        body.put("worker_id", "worker-a");
        body.put("worker_instance_id", "worker-a-1");
    }

    public static Claim on(String lane) {
        return new Claim(lane);
    }

    public Claim worker(String workerId) {
        body.put("worker_id", workerId);
        body.put("worker_instance_id", workerId + "-1");
        return this;
    }

    public Claim with(String field, Object value) {
        body.put(field, value);
        return this;
    }

    public Claim namespace(String namespace) {
        return with("namespace", namespace);
    }

    public Claim capabilities(String... caps) {
        return with("capabilities", List.of(caps));
    }

    public Claim ttl(long ms) {
        return with("lease_ttl_ms", ms);
    }

    public Claim max(int max) {
        return with("max", max);
    }

    public Claim waitMs(long ms) {
        return with("wait_ms", ms);
    }

    public Map<String, Object> body() {
        return new LinkedHashMap<>(body);
    }

    public Response send() {
        return Api.post("/v1/lanes/" + lane + "/claim", body);
    }

    /** Expects 200 and returns every claim, in response order. */
    public List<Lease> leases() {
        return leasesOf(send());
    }

    /** Expects 200 with exactly one claim. */
    public Lease one() {
        List<Lease> claims = leases();
        assertEquals(1, claims.size(), "claims");
        return claims.get(0);
    }

    /** Expects 204: nothing claimable. */
    public void none() {
        Response r = send();
        assertEquals(204, r.statusCode(), () -> "expected nothing to claim; body: " + r.asString());
    }

    public static List<Lease> leasesOf(Response r) {
        JsonPath body = Api.expect(r, 200);
        int n = body.getList("claims").size();
        List<Lease> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(Lease.of(body.setRootPath("claims[" + i + "]")));
        }
        return out;
    }
}
