package dev.tenantry.provision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** AES-256-GCM sealing, and the secret store on a real catalog database. */
class SecretBoxTest {
    static final SecureRandom RANDOM = new SecureRandom();
    static final byte[] AAD = "tenantry-secret:test".getBytes(StandardCharsets.UTF_8);
    static Jdbi jdbi;

    @BeforeAll
    static void catalog() {
        jdbi = ProvisionFixtures.jdbi(ProvisionFixtures.migratedCatalog());
    }

    static byte[] key() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return key;
    }

    @Test
    void a_sealed_value_opens_under_the_same_key_and_associated_data() {
        SecretBox box = SecretBox.of(key());
        byte[] plain = "correct horse battery staple".getBytes(StandardCharsets.UTF_8);
        SecretBox.Sealed sealed = box.seal(plain, AAD);
        assertThat(sealed.nonce()).hasSize(12);
        assertThat(sealed.ciphertext()).hasSize(plain.length + 16);
        assertThat(new String(sealed.ciphertext(), StandardCharsets.ISO_8859_1)).doesNotContain("horse");
        assertThat(box.open(sealed, AAD)).isEqualTo(plain);
    }

    @Test
    void every_seal_uses_a_fresh_nonce() {
        SecretBox box = SecretBox.of(key());
        byte[] plain = "same".getBytes(StandardCharsets.UTF_8);
        SecretBox.Sealed one = box.seal(plain, AAD);
        SecretBox.Sealed two = box.seal(plain, AAD);
        assertThat(one.nonce()).isNotEqualTo(two.nonce());
        assertThat(one.ciphertext()).isNotEqualTo(two.ciphertext());
    }

    @Test
    void a_wrong_key_an_altered_ciphertext_or_other_associated_data_do_not_open() {
        SecretBox box = SecretBox.of(key());
        SecretBox.Sealed sealed = box.seal("secret".getBytes(StandardCharsets.UTF_8), AAD);
        assertThatThrownBy(() -> SecretBox.of(key()).open(sealed, AAD)).isInstanceOf(ProvisionException.class)
                .hasMessageContaining("another master key");
        byte[] altered = sealed.ciphertext();
        altered[0] ^= 1;
        assertThatThrownBy(() -> box.open(new SecretBox.Sealed(sealed.nonce(), altered), AAD)).isInstanceOf(ProvisionException.class)
                .hasMessageContaining("altered");
        assertThatThrownBy(() -> box.open(sealed, "other".getBytes(StandardCharsets.UTF_8))).isInstanceOf(ProvisionException.class);
        assertThatThrownBy(() -> box.open(new SecretBox.Sealed(new byte[8], sealed.ciphertext()), AAD))
                .isInstanceOf(ProvisionException.class).hasMessageContaining("8-byte nonce");
    }

    @Test
    void only_a_32_byte_key_is_accepted() {
        assertThatThrownBy(() -> SecretBox.of(new byte[16])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("32 bytes, not 16");
    }

    // ---- the secret store

    @Test
    void a_secret_round_trips_and_its_row_holds_no_plaintext() {
        Instant now = Instant.parse("2030-01-02T03:04:05Z");
        Secrets store = Secrets.jdbc(jdbi, SecretBox.of(key()), Clock.fixed(now, ZoneOffset.UTC));
        String plaintext = "pw-" + UUID.randomUUID();
        String ref = store.seal(plaintext);
        assertThat(UUID.fromString(ref).version()).isEqualTo(7);
        assertThat(store.open(ref)).isEqualTo(plaintext);
        Map<String, Object> row = jdbi.withHandle(h -> h.createQuery("select * from secrets where id = cast(:id as uuid)")
                .bind("id", ref).mapToMap().one());
        assertThat((byte[]) row.get("nonce")).hasSize(12);
        assertThat(new String((byte[]) row.get("ciphertext"), StandardCharsets.ISO_8859_1)).doesNotContain(plaintext).doesNotContain("pw-");
        assertThat(row.values().stream().map(String::valueOf)).noneMatch(v -> v.contains(plaintext));
        OffsetDateTime createdAt = jdbi.withHandle(h -> h.createQuery("select created_at from secrets where id = cast(:id as uuid)")
                .bind("id", ref).mapTo(OffsetDateTime.class).one());
        assertThat(createdAt.toInstant()).isEqualTo(now);
        String text = jdbi.withHandle(h -> h.createQuery("select s::text from secrets s where id = cast(:id as uuid)")
                .bind("id", ref).mapTo(String.class).one());
        assertThat(text).doesNotContain(plaintext);
    }

    @Test
    void a_forgotten_secret_is_gone_and_unknown_references_are_ignored() {
        Secrets store = Secrets.jdbc(jdbi, SecretBox.of(key()), Clock.systemUTC());
        String ref = store.seal("short-lived");
        store.forget(ref);
        store.forget(ref);
        store.forget("not-a-uuid");
        assertThatThrownBy(() -> store.open(ref)).isInstanceOf(ProvisionException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> store.open("not-a-uuid")).isInstanceOf(ProvisionException.class).hasMessageContaining("not a secret id");
    }

    @Test
    void a_secret_does_not_open_under_another_master_key_or_in_another_row() {
        Secrets store = Secrets.jdbc(jdbi, SecretBox.of(key()), Clock.systemUTC());
        String one = store.seal("first");
        String two = store.seal("second");
        Secrets otherKey = Secrets.jdbc(jdbi, SecretBox.of(key()), Clock.systemUTC());
        assertThatThrownBy(() -> otherKey.open(one)).isInstanceOf(ProvisionException.class)
                .hasMessageContaining(one).hasMessageContaining("another master key");
        jdbi.useHandle(h -> h.execute("update secrets set nonce = o.nonce, ciphertext = o.ciphertext from secrets o "
                + "where secrets.id = cast(? as uuid) and o.id = cast(? as uuid)", two, one));
        assertThatThrownBy(() -> store.open(two)).isInstanceOf(ProvisionException.class);
        assertThat(store.open(one)).isEqualTo("first");
    }
}
