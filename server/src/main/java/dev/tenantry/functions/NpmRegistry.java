package dev.tenantry.functions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tenantry.catalog.CatalogException;
import dev.tenantry.catalog.FieldError;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Resolves a function's dependencies ({@code name → range or dist-tag}) to exact versions from
 * an npm registry, as {@code npm install} would pick them. Exact versions skip the registry.
 */
public final class NpmRegistry {
    /** npm's rules for a package name: lower case, URL-safe, optionally scoped. */
    private static final Pattern NAME = Pattern.compile("(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]{0,213}");
    private static final Pattern EXACT = Pattern.compile("\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?");
    private static final Pattern TAG = Pattern.compile("[A-Za-z][A-Za-z0-9._-]{0,63}");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_DEPENDENCIES = 50;
    private final URI registry;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NORMAL).build();

    public NpmRegistry(URI registry) {
        this.registry = registry;
    }

    public URI uri() {
        return registry;
    }

    /** Exact versions for every dependency; every bad one is reported at once as {@code dependencies.<name>}. */
    public Map<String, String> resolve(Map<String, String> dependencies) {
        List<FieldError> errors = new ArrayList<>();
        if (dependencies.size() > MAX_DEPENDENCIES) {
            throw CatalogException.InvalidInput.of("dependencies", "names " + dependencies.size()
                    + " packages; at most " + MAX_DEPENDENCIES + " are allowed");
        }
        Map<String, String> exact = new TreeMap<>();
        dependencies.forEach((name, range) -> {
            String field = "dependencies." + name;
            if (!NAME.matcher(name).matches()) {
                errors.add(new FieldError(field, "is not a valid npm package name"));
            } else if (range == null || range.length() > 256 || range.contains(":") || range.contains("/")) {
                errors.add(new FieldError(field, "must be a version, a range or a dist-tag from the registry "
                        + "(git, file, URL and alias dependencies are not supported)"));
            } else if (EXACT.matcher(range.trim()).matches()) {
                exact.put(name, range.trim());
            } else if (!Semver.valid(range) && !TAG.matcher(range.trim()).matches()) {
                errors.add(new FieldError(field, "'" + range + "' is not a version range npm understands"));
            } else {
                pick(name, range.trim(), field, errors).ifPresent(v -> exact.put(name, v));
            }
        });
        if (!errors.isEmpty()) {
            throw new CatalogException.InvalidInput(errors);
        }
        return exact;
    }

    private Optional<String> pick(String name, String range, String field, List<FieldError> errors) {
        Optional<JsonNode> packument = packument(name);
        if (packument.isEmpty()) {
            errors.add(new FieldError(field, "package " + name + " is not in the registry " + registry));
            return Optional.empty();
        }
        JsonNode tags = packument.get().path("dist-tags");
        if (tags.has(range) && Semver.Version.parse(tags.get(range).asText()).isPresent()) {
            return Optional.of(tags.get(range).asText());
        }
        List<String> versions = new ArrayList<>();
        for (Iterator<String> it = packument.get().path("versions").fieldNames(); it.hasNext(); ) {
            versions.add(it.next());
        }
        Optional<String> best = Semver.valid(range) ? Semver.maxSatisfying(versions, range) : Optional.empty();
        if (best.isEmpty()) {
            errors.add(new FieldError(field, "no version of " + name + " matches '" + range + "'"
                    + (tags.has("latest") ? " (latest is " + tags.get("latest").asText() + ")" : "")));
        }
        return best;
    }

    private Optional<JsonNode> packument(String name) {
        String path = name.startsWith("@") ? "@" + URLEncoder.encode(name.substring(1), StandardCharsets.UTF_8) : name;
        String base = registry.toString().endsWith("/") ? registry.toString() : registry + "/";
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20))
                .header("Accept", "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8").GET().build();
        try {
            HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() == 404) {
                return Optional.empty();
            }
            if (response.statusCode() != 200) {
                throw new FunctionException.RegistryUnavailable("the npm registry " + registry + " answered "
                        + response.statusCode() + " for " + name, null);
            }
            return Optional.of(JSON.readTree(response.body()));
        } catch (IOException e) {
            throw new FunctionException.RegistryUnavailable("the npm registry " + registry + " cannot be reached: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FunctionException.RegistryUnavailable("interrupted while asking the npm registry", e);
        }
    }

    /** {@code name@version} keys, the form the module store and its queue use. */
    public static List<String> keys(Map<String, String> exact) {
        List<String> keys = new ArrayList<>();
        new LinkedHashMap<>(exact).forEach((n, v) -> keys.add(n + "@" + v));
        return keys;
    }
}
