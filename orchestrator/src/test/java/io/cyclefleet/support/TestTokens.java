package io.cyclefleet.support;

/**
 * The fixed API tokens of the test profile; application.properties holds only their SHA-256
 * ({@code %test.cyclefleet.auth.tokens.test-operator/test-viewer}).
 */
public final class TestTokens {

    public static final String OPERATOR = "cf-test-operator-4b8e1d7f2a9c";
    public static final String VIEWER = "cf-test-viewer-93c5a0e6b1f2";
    /** Configured nowhere. */
    public static final String WRONG = "cf-test-wrong-0d4f6a2c8e1b";

    private TestTokens() {
    }

    public static String bearer(String token) {
        return "Bearer " + token;
    }
}
