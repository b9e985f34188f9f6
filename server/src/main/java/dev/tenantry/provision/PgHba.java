package dev.tenantry.provision;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * Client authentication for a PostgreSQL server we run ourselves (the embedded one). Its default
 * {@code pg_hba.conf} trusts everyone, which would let any tenant role in without its password.
 */
public final class PgHba {
    private static final long RELOAD_WAIT_MILLIS = 10_000;

    private PgHba() {}

    /**
     * Rewrites the server's {@code pg_hba.conf} so that the connected superuser is trusted from
     * 127.0.0.1 and ::1 only, every other role must give its password (SCRAM-SHA-256) from those
     * addresses, and nothing else may connect (no Unix socket, no other address); then reloads the
     * configuration and waits until password checks are in force. Idempotent. The file must be
     * writable by this process, i.e. the server runs on this machine as our user.
     *
     * @param superuser a connection to the server as a superuser (its role is the trusted one)
     */
    public static void requirePasswords(Connection superuser) {
        requirePasswords(superuser, false);
    }

    /**
     * The same; with {@code superuserToo}, the superuser must give its password as well (it must
     * have one: set it before), so that no role at all gets in on the address alone.
     */
    public static void requirePasswords(Connection superuser, boolean superuserToo) {
        try {
            String user = one(superuser, "select current_user");
            if (!"t".equals(one(superuser, "select rolsuper from pg_roles where rolname = current_user"))) {
                throw new ProvisionException("pg_hba.conf can only be rewritten over a superuser connection (" + user + " is not one)");
            }
            Path file = Path.of(one(superuser, "show hba_file"));
            write(file, superuserToo ? passwordsOnly() : rules(user));
            one(superuser, "select pg_reload_conf()");
            awaitPasswordsRequired(superuser.getMetaData().getURL());
        } catch (SQLException e) {
            throw new ProvisionException("cannot require passwords in pg_hba.conf: " + PgAdmin.describe(e), e);
        } catch (IOException e) {
            throw new ProvisionException("cannot write pg_hba.conf: " + e.getMessage(), e);
        }
    }

    static String rules(String superuser) {
        String su = PgAdmin.ident(superuser);
        return """
                # Written by Tenantry: the superuser is trusted from this machine only;
                # every other role must give its password; nothing else may connect.
                # TYPE  DATABASE  USER  ADDRESS       METHOD
                host    all       %1$s  127.0.0.1/32  trust
                host    all       %1$s  ::1/128       trust
                host    all       all   127.0.0.1/32  scram-sha-256
                host    all       all   ::1/128       scram-sha-256
                """.formatted(su);
    }

    /** A line of the passwords-only file, by which a server already set up so is known. */
    public static final String PASSWORDS_ONLY_MARK = "every role, the superuser included, must give its password";

    static String passwordsOnly() {
        return """
                # Written by Tenantry: %s,
                # from this machine only; nothing else may connect.
                # TYPE  DATABASE  USER  ADDRESS       METHOD
                host    all       all   127.0.0.1/32  scram-sha-256
                host    all       all   ::1/128       scram-sha-256
                """.formatted(PASSWORDS_ONLY_MARK);
    }

    private static void write(Path file, String content) throws IOException {
        if (Files.isRegularFile(file) && Files.readString(file, StandardCharsets.UTF_8).equals(content)) {
            return;
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tenantry.tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * The reload is asynchronous: probe with a role that does not exist and a wrong password until
     * the server answers "password authentication failed" (28P01) rather than "role does not
     * exist" (28000), which is what trust would say.
     */
    private static void awaitPasswordsRequired(String url) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", "tenantry_hba_probe");
        props.setProperty("password", "not-a-password");
        props.setProperty("connectTimeout", "5");
        long deadline = System.nanoTime() + RELOAD_WAIT_MILLIS * 1_000_000;
        String last = "";
        while (System.nanoTime() < deadline) {
            try (Connection ignored = DriverManager.getConnection(url, props)) {
                last = "the probe role connected";
            } catch (SQLException e) {
                if ("28P01".equals(e.getSQLState())) {
                    return;
                }
                last = PgAdmin.describe(e);
            }
            sleep(50);
        }
        throw new ProvisionException("pg_hba.conf was rewritten but passwords are still not required after "
                + RELOAD_WAIT_MILLIS + " ms (last probe: " + last + ")");
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProvisionException("interrupted while waiting for PostgreSQL to reload pg_hba.conf");
        }
    }
}
