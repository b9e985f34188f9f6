package dev.tenantry.functions;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tenantry.catalog.Functions;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * What a worker is sent to load one function version: its files, the links of its
 * {@code node_modules} into the module store (unpacked here first if this node lacks them), its
 * environment and its opened secrets. Versions are immutable, so prepared messages are cached
 * (least recently used, bounded by size). Blocking: call off the event loop.
 */
final class CodeSource {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_CACHED_BYTES = 128L << 20;
    private final Functions functions;
    private final ModuleStates modules;
    private final ModuleStore store;
    private final SecretSealer sealer;
    private final Map<String, Prepared> cache = new LinkedHashMap<>(64, 0.75f, true);
    private long cachedBytes;

    CodeSource(Functions functions, ModuleStates modules, ModuleStore store, SecretSealer sealer) {
        this.functions = functions;
        this.modules = modules;
        this.store = store;
        this.sealer = sealer;
    }

    /** A version ready to send: its limits and its entry of the specialise message. */
    /** {@code message}: the function's part of a specialise message, encoded once. */
    record Prepared(TenantWorkers.Loaded loaded, byte[] message, long bytes) {}

    /** The prepared version if it is in memory (never blocks), else null. */
    Prepared cached(String tenantId, String name, int version) {
        synchronized (cache) {
            return cache.get(tenantId + "/" + name + "/" + version);
        }
    }

    Prepared prepare(String tenantId, String name, int version) {
        String key = tenantId + "/" + name + "/" + version;
        synchronized (cache) {
            Prepared hit = cache.get(key);
            if (hit != null) {
                return hit;
            }
        }
        Prepared made = load(tenantId, name, version);
        synchronized (cache) {
            if (cache.put(key, made) == null) {
                cachedBytes += made.bytes();
            }
            var it = cache.entrySet().iterator();
            while (cachedBytes > MAX_CACHED_BYTES && it.hasNext()) {
                cachedBytes -= it.next().getValue().bytes();
                it.remove();
            }
        }
        return made;
    }

    private Prepared load(String tenantId, String name, int version) {
        Functions.Code code = functions.code(UUID.fromString(tenantId), name, version)
                .orElseThrow(() -> new FunctionException("function " + name + " version " + version + " is gone"));
        Functions.Version v = code.version();
        ObjectNode fn = JSON.createObjectNode();
        fn.put("name", name).put("version", version).put("entry", v.entry()).put("timeoutMs", v.timeoutMs())
                .put("memoryMb", v.memoryMb());
        ObjectNode files = fn.putObject("files");
        code.files().forEach(files::put);
        ObjectNode links = fn.putObject("modules");
        v.modules().forEach((module, exact) -> {
            Module m = modules.get(module, exact).filter(x -> x.state() == Module.State.AVAILABLE)
                    .orElseThrow(() -> new FunctionException("module " + module + "@" + exact + " is not available"));
            store.ensureLocal(module, exact, m.sha256().orElseThrow());
            links.put(module, ModuleStore.sandboxPath(module, exact));
        });
        ObjectNode env = fn.putObject("env");
        v.env().forEach(env::put);
        ObjectNode secrets = fn.putObject("secrets");
        code.secrets().ifPresent(sealed -> {
            try {
                byte[] plain = sealer.open(sealed, SecretSealer.associatedData(tenantId, name));
                JSON.readTree(plain).fields().forEachRemaining(e -> secrets.put(e.getKey(), e.getValue().asText()));
            } catch (IOException e) {
                throw new FunctionException("the secrets of " + name + " version " + version + " cannot be read", e);
            }
        });
        byte[] encoded;
        try {
            encoded = JSON.writeValueAsBytes(fn);
        } catch (IOException e) {
            throw new FunctionException("cannot encode the specialise message", e);
        }
        return new Prepared(new TenantWorkers.Loaded(name, version, v.timeoutMs(), v.memoryMb()), encoded, encoded.length + 256L);
    }

    /** The specialise message for one version. */
    static Buffer message(String tenantId, String slug, Prepared prepared) {
        ObjectNode tenant = JSON.createObjectNode().put("id", tenantId).put("slug", slug);
        // {"tenant":{...},"functions":[<the prepared function, encoded once>]}
        return Buffer.buffer(prepared.message().length + 128).appendString("{\"tenant\":").appendString(tenant.toString())
                .appendString(",\"functions\":[").appendBytes(prepared.message()).appendString("]}");
    }
}
