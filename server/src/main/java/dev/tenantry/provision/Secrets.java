package dev.tenantry.provision;

import java.time.Clock;
import org.jdbi.v3.core.Jdbi;

/** Sealed storage for generated passwords: only references leave it; plaintext only on {@link #open}. */
public interface Secrets {

    /**
     * Secrets in the catalog's {@code secrets} table, sealed with AES-256-GCM by {@code box}
     * (one random nonce per secret); {@code clock} stamps {@code created_at} and the ids.
     */
    static Secrets jdbc(Jdbi jdbi, SecretBox box, Clock clock) {
        return new JdbcSecrets(jdbi, box, clock);
    }

    /** Encrypts and stores the plaintext; returns its reference. */
    String seal(String plaintext);

    /** The plaintext behind a reference. */
    String open(String ref);

    /** Forgets a secret (its resource is gone); unknown references are ignored. */
    void forget(String ref);
}
