package dev.tenantry.functions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tenantry.catalog.CatalogException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A function's code as deployed: one source file, or a zip, tar or tar.gz bundle (a single
 * top-level directory, as {@code npm pack} makes, is stripped). Paths are checked, sizes capped,
 * the entry found, the dependencies read from {@code package.json}.
 */
public record Bundle(Map<String, byte[]> files, String entry, Map<String, String> dependencies) {
    static final int MAX_FILES = 2_000;
    static final long MAX_BYTES = 20L << 20;
    private static final List<String> ENTRIES = List.of("index.js", "index.mjs", "index.cjs", "handler.js", "handler.mjs");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One file of source; {@code entry} names it (default {@code index.js}). */
    public static Bundle ofSource(String code, Optional<String> entry, Optional<String> packageJson) {
        Map<String, byte[]> files = new TreeMap<>();
        files.put(entry.orElse("index.js"), code.getBytes(StandardCharsets.UTF_8));
        packageJson.ifPresent(p -> files.put("package.json", p.getBytes(StandardCharsets.UTF_8)));
        return finish(files, entry.or(() -> Optional.of("index.js")));
    }

    /** A zip, tar or gzip-compressed tar archive; {@code packageJson}, when given, replaces the bundle's own. */
    public static Bundle ofArchive(byte[] archive, Optional<String> entry, Optional<String> packageJson) {
        Map<String, byte[]> files;
        try {
            files = archive.length > 4 && archive[0] == 'P' && archive[1] == 'K' ? unzip(archive) : untar(maybeGunzip(archive));
        } catch (IOException | RuntimeException e) {
            throw CatalogException.InvalidInput.of("bundle", "is not a readable zip, tar or tar.gz archive: " + e.getMessage());
        }
        files = stripTopDirectory(files);
        Map<String, byte[]> all = new TreeMap<>(files);
        packageJson.ifPresent(p -> all.put("package.json", p.getBytes(StandardCharsets.UTF_8)));
        return finish(all, entry);
    }

    private static Bundle finish(Map<String, byte[]> files, Optional<String> entry) {
        long total = 0;
        for (var f : files.entrySet()) {
            checkPath(f.getKey());
            total += f.getValue().length;
        }
        if (files.isEmpty() || files.size() > MAX_FILES || total > MAX_BYTES) {
            throw CatalogException.InvalidInput.of("bundle", "must hold 1 to " + MAX_FILES + " files of at most "
                    + (MAX_BYTES >> 20) + " MiB in all (it has " + files.size() + " files, " + total + " bytes)");
        }
        JsonNode pkg = packageJson(files);
        String main = entry.orElseGet(() -> main(files, pkg));
        Map<String, String> deps = new TreeMap<>();
        pkg.path("dependencies").fields().forEachRemaining(e -> deps.put(e.getKey(), e.getValue().asText()));
        return new Bundle(files, main, deps);
    }

    private static JsonNode packageJson(Map<String, byte[]> files) {
        byte[] raw = files.get("package.json");
        if (raw == null) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode node = JSON.readTree(raw);
            if (!node.isObject() || !(node.path("dependencies").isMissingNode() || node.path("dependencies").isObject())) {
                throw CatalogException.InvalidInput.of("packageJson", "must be a JSON object whose dependencies is an object");
            }
            return node;
        } catch (IOException e) {
            throw CatalogException.InvalidInput.of("packageJson", "is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static String main(Map<String, byte[]> files, JsonNode pkg) {
        String declared = pkg.path("main").asText("");
        if (!declared.isEmpty()) {
            return declared.startsWith("./") ? declared.substring(2) : declared;
        }
        return ENTRIES.stream().filter(files::containsKey).findFirst().orElseThrow(() -> CatalogException.InvalidInput.of(
                "entry", "the bundle has none of " + String.join(", ", ENTRIES) + " and no package.json main; name the entry"));
    }

    private static void checkPath(String path) {
        boolean bad = path.isEmpty() || path.length() > 255 || path.startsWith("/") || path.contains("\\")
                || path.chars().anyMatch(c -> c < 0x20 || c == 0x7f)
                || List.of(path.split("/", -1)).stream().anyMatch(s -> s.isEmpty() || s.equals("..") || s.equals("."));
        if (bad) {
            throw CatalogException.InvalidInput.of("bundle", "file path '" + path.substring(0, Math.min(path.length(), 80))
                    + "' must be relative, without '.', '..' or empty segments, at most 255 printable characters");
        }
    }

    /** The code's files as the catalog keeps them ({@code path → base64}). */
    public Map<String, String> encoded() {
        Map<String, String> out = new LinkedHashMap<>();
        files.forEach((p, b) -> out.put(p, Base64.getEncoder().encodeToString(b)));
        return out;
    }

    public int bytes() {
        return files.values().stream().mapToInt(b -> b.length).sum();
    }

    /** SHA-256 over every path and content in order: equal code, equal digest. */
    public String sha256() {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            files.forEach((p, b) -> {
                digest.update(p.getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
                digest.update(Long.toString(b.length).getBytes(StandardCharsets.US_ASCII));
                digest.update((byte) 0);
                digest.update(b);
            });
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, byte[]> unzip(byte[] archive) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(archive))) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                if (!e.isDirectory()) {
                    put(files, e.getName(), readCapped(in, MAX_BYTES));
                }
            }
        }
        return files;
    }

    private static byte[] maybeGunzip(byte[] archive) throws IOException {
        if (archive.length > 2 && (archive[0] & 0xff) == 0x1f && (archive[1] & 0xff) == 0x8b) {
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(archive))) {
                return readCapped(in, MAX_BYTES + (4L << 20));
            }
        }
        return archive;
    }

    /** Regular files of a ustar/pax/GNU tar; links and devices are skipped. */
    private static Map<String, byte[]> untar(byte[] tar) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        int at = 0;
        String longName = null;
        while (at + 512 <= tar.length) {
            if (allZero(tar, at)) {
                break;
            }
            String name = text(tar, at, 100);
            long size = Long.parseLong(text(tar, at + 124, 12).trim().isEmpty() ? "0" : text(tar, at + 124, 12).trim(), 8);
            char type = (char) tar[at + 156];
            String prefix = text(tar, at + 345, 155);
            int data = at + 512;
            if (size < 0 || data + size > tar.length) {
                throw new IOException("truncated archive");
            }
            String content = type == 'x' || type == 'L' ? new String(tar, data, (int) size, StandardCharsets.UTF_8) : null;
            if (type == 'L') {
                longName = content.replace("\0", "");
            } else if (type == 'x') {
                longName = paxPath(content).orElse(longName);
            } else {
                String path = longName != null ? longName : prefix.isEmpty() ? name : prefix + "/" + name;
                longName = null;
                if (type == '0' || type == 0) {
                    put(files, path, java.util.Arrays.copyOfRange(tar, data, (int) (data + size)));
                }
            }
            at = data + (int) ((size + 511) / 512 * 512);
        }
        return files;
    }

    private static Optional<String> paxPath(String records) {
        return records.lines().map(l -> l.substring(l.indexOf(' ') + 1)).filter(l -> l.startsWith("path="))
                .map(l -> l.substring(5)).findFirst();
    }

    private static void put(Map<String, byte[]> files, String path, byte[] content) throws IOException {
        if (files.size() >= MAX_FILES) {
            throw new IOException("more than " + MAX_FILES + " files");
        }
        files.put(path.startsWith("./") ? path.substring(2) : path, content);
    }

    private static Map<String, byte[]> stripTopDirectory(Map<String, byte[]> files) {
        String top = null;
        for (String p : files.keySet()) {
            int slash = p.indexOf('/');
            String first = slash < 0 ? null : p.substring(0, slash + 1);
            if (first == null || (top != null && !top.equals(first))) {
                return files;
            }
            top = first;
        }
        Map<String, byte[]> out = new TreeMap<>();
        String strip = top;
        files.forEach((p, b) -> out.put(p.substring(strip.length()), b));
        return out;
    }

    private static byte[] readCapped(InputStream in, long cap) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[65_536];
        int n;
        while ((n = in.read(buffer)) > 0) {
            out.write(buffer, 0, n);
            if (out.size() > cap) {
                throw new IOException("larger than " + (cap >> 20) + " MiB unpacked");
            }
        }
        return out.toByteArray();
    }

    private static boolean allZero(byte[] b, int at) {
        for (int i = at; i < at + 512; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static String text(byte[] b, int at, int length) {
        int end = at;
        while (end < at + length && b[end] != 0) {
            end++;
        }
        return new String(b, at, end - at, StandardCharsets.UTF_8);
    }
}
