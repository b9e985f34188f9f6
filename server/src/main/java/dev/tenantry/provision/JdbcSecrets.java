package dev.tenantry.provision;

import dev.tenantry.catalog.Ids;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/**
 * Secrets in the {@code secrets} table, each sealed with its own nonce; the row id is the
 * reference and is authenticated as associated data, so a ciphertext only opens under its own id.
 */
final class JdbcSecrets implements Secrets {
    private final Jdbi jdbi;
    private final SecretBox box;
    private final Clock clock;

    JdbcSecrets(Jdbi jdbi, SecretBox box, Clock clock) {
        this.jdbi = jdbi;
        this.box = box;
        this.clock = clock;
    }

    @Override
    public String seal(String plaintext) {
        UUID id = Ids.next(clock);
        SecretBox.Sealed sealed = box.seal(plaintext.getBytes(StandardCharsets.UTF_8), associatedData(id));
        jdbi.useHandle(h -> h.createUpdate("insert into secrets (id, nonce, ciphertext, created_at) values (:id, :nonce, :ciphertext, :at)")
                .bind("id", id)
                .bind("nonce", sealed.nonce())
                .bind("ciphertext", sealed.ciphertext())
                .bind("at", OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC))
                .execute());
        return id.toString();
    }

    @Override
    public String open(String ref) {
        UUID id = Ids.parse(ref).orElseThrow(() -> new ProvisionException("secret reference " + ref + " is not a secret id"));
        SecretBox.Sealed sealed = find(id).orElseThrow(() -> new ProvisionException("secret " + ref + " does not exist (forgotten, or never sealed)"));
        try {
            byte[] plain = box.open(sealed, associatedData(id));
            String text = new String(plain, StandardCharsets.UTF_8);
            SecretBox.wipe(plain);
            return text;
        } catch (ProvisionException e) {
            throw new ProvisionException("secret " + ref + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void forget(String ref) {
        Ids.parse(ref).ifPresent(id -> jdbi.useHandle(h -> h.createUpdate("delete from secrets where id = :id").bind("id", id).execute()));
    }

    private Optional<SecretBox.Sealed> find(UUID id) {
        return jdbi.withHandle(h -> h.createQuery("select nonce, ciphertext from secrets where id = :id")
                .bind("id", id)
                .map((rs, ctx) -> new SecretBox.Sealed(rs.getBytes("nonce"), rs.getBytes("ciphertext")))
                .findOne());
    }

    private static byte[] associatedData(UUID id) {
        return ("tenantry-secret:" + id).getBytes(StandardCharsets.UTF_8);
    }
}
