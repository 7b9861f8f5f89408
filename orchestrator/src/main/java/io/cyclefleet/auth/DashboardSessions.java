package io.cyclefleet.auth;

import io.cyclefleet.db.Jdbc;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Base64;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Dashboard sessions in Postgres (table dashboard_session), so that every orchestrator replica knows them,
 * signing out ends one for real, and the cookie carries a random id instead of the API token. The id is
 * stored only as its SHA-256.
 */
@ApplicationScoped
public class DashboardSessions {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final DataSource ds;
    private final ApiTokens tokens;

    public DashboardSessions(DataSource ds, ApiTokens tokens) {
        this.ds = ds;
        this.tokens = tokens;
    }

    /** A new session for {@code token} (already matched to {@code known}); returns the id for the cookie. */
    public String open(ApiTokens.Known known, String token) {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        String id = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement expired = c.prepareStatement("delete from dashboard_session where expires_at < now()");
                 PreparedStatement ps = c.prepareStatement("""
                         insert into dashboard_session (id_sha256, token_name, token_sha256, expires_at)
                         values (?, ?, ?, now() + make_interval(secs => ?))""")) {
                expired.executeUpdate(); // keeps the table as small as the sessions in use
                ps.setString(1, ApiTokens.sha256Hex(id));
                ps.setString(2, known.name());
                ps.setString(3, ApiTokens.sha256Hex(token));
                ps.setLong(4, DashboardSession.LIFETIME.toSeconds());
                return ps.executeUpdate();
            }
        });
        return id;
    }

    /** The token a live session was opened with, while that token is still configured unchanged. */
    public Optional<ApiTokens.Known> find(String id) {
        return Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "select token_name, token_sha256 from dashboard_session where id_sha256 = ? and expires_at > now()")) {
                ps.setString(1, ApiTokens.sha256Hex(id));
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? tokens.stillConfigured(rs.getString(1), rs.getString(2)) : Optional.<ApiTokens.Known>empty();
                }
            }
        });
    }

    /** Ends the session (signing out); unknown ids are ignored. */
    public void close(String id) {
        Jdbc.inTransaction(ds, c -> {
            try (PreparedStatement ps = c.prepareStatement("delete from dashboard_session where id_sha256 = ?")) {
                ps.setString(1, ApiTokens.sha256Hex(id));
                return ps.executeUpdate();
            }
        });
    }
}
