package dev.tenantry.functions;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tenantry.catalog.Actor;
import dev.tenantry.catalog.CatalogException;
import dev.tenantry.catalog.Functions;
import dev.tenantry.catalog.Tenant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * Deploys a function version: reads the code (a file or an archive), resolves its npm
 * dependencies to exact versions, queues the modules the store lacks, seals the secrets and
 * records the version (ready at once when every module is built, pending until then).
 */
public final class Deployer {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final FunctionParts parts;
    private final NpmRegistry registry;
    private final java.util.function.Function<String, Tenant> tenants;

    public Deployer(FunctionParts parts, NpmRegistry registry, java.util.function.Function<String, Tenant> tenants) {
        this.parts = parts;
        this.registry = registry;
        this.tenants = tenants;
    }

    /** One deploy as asked: code or bundle, and what else the caller set. */
    public record Request(String name, Optional<String> code, Optional<byte[]> bundle, Optional<String> entry,
                          Optional<String> packageJson, Optional<Map<String, String>> dependencies,
                          Optional<Map<String, String>> env, Optional<Map<String, String>> secrets,
                          OptionalInt timeoutMs, OptionalInt memoryMb) {}

    /** The version made and its modules' states. */
    public record Deployment(Functions.Version version, List<Module> modules) {}

    public Deployment deploy(String tenantRef, Request r, Actor actor) {
        Tenant tenant = tenants.apply(tenantRef);
        if (r.code().isPresent() == r.bundle().isPresent()) {
            throw CatalogException.InvalidInput.of(r.code().isPresent() ? "bundle" : "code",
                    "give the function's code either as 'code' (one source file) or as 'bundle' (a base64 zip, tar or tar.gz)");
        }
        Bundle bundle = r.code().isPresent() ? Bundle.ofSource(r.code().get(), r.entry(), r.packageJson())
                : Bundle.ofArchive(r.bundle().get(), r.entry(), r.packageJson());
        Map<String, String> asked = new TreeMap<>(bundle.dependencies());
        r.dependencies().ifPresent(asked::putAll);
        Map<String, String> exact = registry.resolve(asked);
        List<Module> modules = exact.isEmpty() ? List.of() : parts.modules().request(exact);
        Optional<Functions.SealedSecrets> secrets = r.secrets().map(s -> seal(tenant, r.name(), s));
        Functions.Version version = parts.functions().deploy(tenantRef, new Functions.NewVersion(r.name(), bundle.entry(),
                bundle.encoded(), bundle.sha256(), bundle.bytes(), asked, exact, r.env(), secrets, r.timeoutMs(), r.memoryMb()), actor);
        return new Deployment(version, modules);
    }

    private Functions.SealedSecrets seal(Tenant tenant, String name, Map<String, String> secrets) {
        List<String> names = new ArrayList<>(new TreeMap<>(secrets).keySet());
        for (var e : secrets.entrySet()) {
            if (e.getValue() == null || e.getValue().length() > 4_096) {
                throw CatalogException.InvalidInput.of("secrets." + e.getKey(), "must be a string of at most 4096 characters");
            }
        }
        try {
            return parts.sealer().seal(names, JSON.writeValueAsBytes(new TreeMap<>(secrets)),
                    SecretSealer.associatedData(tenant.id().toString(), name));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new FunctionException("cannot encode secrets", e);
        }
    }

    /** The states of the modules a version needs. */
    public List<Module> modulesOf(Functions.Version version) {
        return parts.modules().states(version.modules());
    }

    public FunctionParts parts() {
        return parts;
    }
}
