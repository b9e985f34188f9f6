package dev.tenantry.functions;

import dev.tenantry.catalog.Functions;
import java.util.List;

/** Seals functions' secrets at rest and opens them for the worker (the platform's master key underneath). */
public interface SecretSealer {
    Functions.SealedSecrets seal(List<String> names, byte[] plaintext, byte[] associatedData);

    byte[] open(Functions.SealedSecrets sealed, byte[] associatedData);

    /** What binds a function's secrets to it: sealed secrets moved to another function do not open. */
    static byte[] associatedData(String tenantId, String function) {
        return ("tenantry function secrets v1\n" + tenantId + "\n" + function).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
