package dev.flowfabric.coordinator.api;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

@QuarkusTest
class SmokeTest {

    private static final String LANE = "smoke-" + java.util.UUID.randomUUID().toString().substring(0, 8);

    @Test
    void createClaimComplete() {
        String id = given().contentType(ContentType.JSON)
                .body("{\"lane\":\"" + LANE + "\",\"kind\":\"k\",\"input\":{\"a\":1}}")
                .post("/v1/executions").then().log().ifValidationFails().statusCode(201)
                .body("public_state", equalTo("waiting")).extract().path("execution_id");
        var claim = given().contentType(ContentType.JSON)
                .body("{\"worker_id\":\"w\",\"worker_instance_id\":\"w-1\"}")
                .post("/v1/lanes/" + LANE + "/claim").then().log().all().statusCode(200).extract().jsonPath();
        given().contentType(ContentType.JSON)
                .body("{\"lease_id\":\"" + claim.getString("claims[0].lease_id") + "\",\"lease_epoch\":"
                        + claim.getLong("claims[0].lease_epoch") + ",\"result\":{\"ok\":true}}")
                .post("/v1/executions/" + id + "/complete").then().log().all().statusCode(200)
                .body("public_state", equalTo("completed"));
        given().get("/v1/executions/" + id).then().log().all().statusCode(200);
        given().get("/v1/executions/" + id + "/attempts").then().log().all().statusCode(200);
        given().get("/v1/executions?lane=" + LANE).then().log().all().statusCode(200);
        given().get("/q/health/ready").then().log().all().statusCode(200);
        given().get("/q/health/started").then().statusCode(200);
        given().get("/q/health/live").then().statusCode(200);
    }
}
