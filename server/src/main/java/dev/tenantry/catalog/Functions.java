package dev.tenantry.catalog;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;

/**
 * Tenants' functions and their immutable versions. A deploy makes version N+1; it is
 * {@code ready} (and becomes active) once every npm module it names is available in the module
 * store, {@code pending} until then, {@code failed} if a module cannot be built. Secrets arrive
 * sealed and leave only through {@link #code}, for the data plane.
 */
public interface Functions {
    /** At most this many functions per tenant. */
    int MAX_FUNCTIONS = 200;

    /** One deploy. {@code env} and {@code secrets} left empty keep the previous version's. */
    record NewVersion(String name, String entry, Map<String, String> files, String codeSha256, int codeBytes,
                      Map<String, String> dependencies, Map<String, String> modules,
                      Optional<Map<String, String>> env, Optional<SealedSecrets> secrets,
                      OptionalInt timeoutMs, OptionalInt memoryMb) {}

    /** Secret values sealed with the platform's key; only the names are ever shown. */
    record SealedSecrets(List<String> names, byte[] nonce, byte[] ciphertext) {}

    record Function(UUID tenantId, String name, int latestVersion, OptionalInt activeVersion,
                    Instant createdAt, Instant updatedAt) {}

    record Version(UUID tenantId, String name, int version, String state, Optional<String> error, String entry,
                   String codeSha256, int codeBytes, Map<String, String> dependencies, Map<String, String> modules,
                   Map<String, String> env, List<String> secretNames, int timeoutMs, int memoryMb,
                   Instant createdAt, String createdBy) {}

    /** What a worker needs to run a version: its files ({@code path → base64}) and sealed secrets. */
    record Code(Version version, Map<String, String> files, Optional<SealedSecrets> secrets) {}

    Version deploy(String tenantRef, NewVersion version, Actor actor);

    Function get(String tenantRef, String name);

    List<Function> list(String tenantRef);

    /** Newest first. */
    List<Version> versions(String tenantRef, String name);

    Version version(String tenantRef, String name, int version);

    /** Makes an earlier ready version the active one again. */
    Function rollback(String tenantRef, String name, int version, Actor actor);

    void delete(String tenantRef, String name, Actor actor);

    /** For the data plane: a version's code, by tenant id. */
    Optional<Code> code(UUID tenantId, String name, int version);

    /** Marks pending versions whose modules are now all available ready, activating newer ones. */
    List<Version> activateReady();

    /** Fails the pending versions that need a module which could not be built. */
    List<Version> failPending(String module, String moduleVersion, String reason);
}
