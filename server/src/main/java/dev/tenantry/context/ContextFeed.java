package dev.tenantry.context;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tenantry.sdk.context.ContextChange;
import dev.tenantry.sdk.context.ContextSnapshot;
import dev.tenantry.sdk.context.PlanLimits;
import dev.tenantry.sdk.context.TenantContext;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Reads and maintains the change feed on one connection (plain JDBC: the follower owns its session). */
public final class ContextFeed {
    /** The channel the catalog's triggers notify (no payload, once per transaction) when changes commit. */
    public static final String CHANNEL = "tenantry_context";
    private static final ObjectMapper JSON = new ObjectMapper();

    private ContextFeed() {}

    /** Changes numbered after {@code seq}, oldest first, at most {@code limit}. */
    public static List<ContextChange> changesAfter(Connection c, long seq, int limit) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "select seq, entity, key, body::text from context_changes where seq > ? order by seq limit ?")) {
            s.setLong(1, seq);
            s.setInt(2, limit);
            List<ContextChange> out = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(new ContextChange(rs.getLong(1), rs.getString(2), rs.getString(3), parse(rs.getString(4))));
                }
            }
            return out;
        }
    }

    /** The number of the newest change. */
    public static long lastSeq(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select last from context_sequence")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Every plan and live tenant as of one change number, read in one REPEATABLE READ transaction
     * (the rows are parsed afterwards, on all cores: with 10,000 tenants that is most of the work).
     */
    public static ContextSnapshot snapshot(Connection c) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        long seq;
        List<String> plans = new ArrayList<>();
        List<String> tenants = new ArrayList<>();
        try (Statement s = c.createStatement()) {
            s.execute("set transaction isolation level repeatable read, read only");
            seq = lastSeq(c);
            try (ResultSet rs = s.executeQuery("select entity, body::text from context_state")) {
                while (rs.next()) {
                    switch (rs.getString(1)) {
                        case ContextChange.PLAN -> plans.add(rs.getString(2));
                        case ContextChange.TENANT -> tenants.add(rs.getString(2));
                        default -> { }
                    }
                }
            }
            c.commit();
        } finally {
            c.setAutoCommit(autoCommit);
        }
        try {
            return new ContextSnapshot(seq, plans.stream().map(b -> read(b, PlanLimits.class)).toList(),
                    tenants.parallelStream().map(b -> read(b, TenantContext.class)).toList());
        } catch (UncheckedIOException e) {
            throw new SQLException("the context state holds a body this node cannot read: " + e.getCause().getMessage(), e);
        }
    }

    private static <T> T read(String body, Class<T> type) {
        try {
            return JSON.readValue(body, type);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Rebuilds every entity's state from the catalog and announces it; answers the resync's number. */
    public static long resync(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select context_resync()")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Deletes changes older than {@code age} except the newest {@code keep}: readers further
     * behind than that load a snapshot instead. Answers how many were deleted.
     */
    public static int prune(Connection c, int keep, Duration age) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                delete from context_changes
                where seq <= (select last from context_sequence) - ? and committed_at < now() - make_interval(secs => ?)""")) {
            s.setLong(1, keep);
            s.setDouble(2, age.toMillis() / 1000.0);
            return s.executeUpdate();
        }
    }

    private static JsonNode parse(String body) throws SQLException {
        if (body == null) {
            return null;
        }
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new SQLException("a change body this node cannot read: " + e.getOriginalMessage(), e);
        }
    }
}
