package io.cyclefleet.support;

import io.quarkus.test.junit.callback.QuarkusTestBeforeEachCallback;
import io.quarkus.test.junit.callback.QuarkusTestMethodContext;
import io.restassured.RestAssured;
import io.restassured.filter.Filter;
import io.restassured.filter.FilterContext;
import io.restassured.response.Response;
import io.restassured.specification.FilterableRequestSpecification;
import io.restassured.specification.FilterableResponseSpecification;

/**
 * Every {@code @QuarkusTest} talks to the API as an operator unless it says otherwise: before each test
 * method this puts a RestAssured filter in place that adds the operator's test token to each request
 * carrying no Authorization header of its own. AccessControlTest takes it out ({@link #remove()}).
 * Registered in META-INF/services/io.quarkus.test.junit.callback.QuarkusTestBeforeEachCallback.
 */
public class OperatorTokenByDefault implements QuarkusTestBeforeEachCallback {

    @Override
    public void beforeEach(QuarkusTestMethodContext context) {
        if (RestAssured.filters().stream().noneMatch(f -> f instanceof AddToken)) {
            RestAssured.filters(new AddToken());
        }
    }

    /** For the rest of the current test method, requests carry only the headers they set themselves. */
    public static void remove() {
        RestAssured.replaceFiltersWith(RestAssured.filters().stream().filter(f -> !(f instanceof AddToken)).toList());
    }

    private static final class AddToken implements Filter {
        @Override
        public Response filter(FilterableRequestSpecification request, FilterableResponseSpecification response,
                               FilterContext context) {
            if (!request.getHeaders().hasHeaderWithName("Authorization")) {
                request.header("Authorization", TestTokens.bearer(TestTokens.OPERATOR));
            }
            return context.next(request, response);
        }
    }
}
