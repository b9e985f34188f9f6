package dev.tenantry.sdk.context;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The tenant headers the gateway adds to every request it forwards, and their signature.
 *
 * <p>{@code X-Tenant-Id}, {@code X-Tenant-Slug}, {@code X-Tenant-Tier} and {@code X-Tenant-Time}
 * (Unix seconds) are signed together: {@code X-Tenant-Signature: v1=<base64url HMAC-SHA256>} over
 * {@code "v1\n" + id + "\n" + slug + "\n" + tier + "\n" + time} under the deployment's header key
 * ({@code tenantry context header-key}). The gateway removes any such headers a client sent.
 * An upstream calls {@link #verify} and trusts the tenant only when it answers a value.
 */
public final class TenantHeaders {
    public static final String ID = "X-Tenant-Id";
    public static final String SLUG = "X-Tenant-Slug";
    public static final String TIER = "X-Tenant-Tier";
    public static final String TIME = "X-Tenant-Time";
    public static final String SIGNATURE = "X-Tenant-Signature";
    private static final String VERSION = "v1";
    private final SecretKeySpec key;

    /** The tenant the signed headers name. */
    public record Verified(String id, String slug, String tier, long time) {
    }

    /** A signer or verifier under the header key (base64url, as the API and CLI show it). */
    public TenantHeaders(String base64Key) {
        this(Base64.getUrlDecoder().decode(base64Key));
    }

    public TenantHeaders(byte[] key) {
        if (key.length < 32) {
            throw new IllegalArgumentException("the tenant header key must be at least 32 bytes");
        }
        this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
    }

    /** The signature header's value for these fields. */
    public String sign(String id, String slug, String tier, long unixSeconds) {
        return VERSION + "=" + Base64.getUrlEncoder().withoutPadding().encodeToString(mac(id, slug, tier, unixSeconds));
    }

    /**
     * Checks the signed headers ({@code header} reads one by name, null when absent): the signature
     * must match and the time must be within {@code maxAge} of {@code clock}'s. Empty otherwise.
     */
    public Optional<Verified> verify(Function<String, String> header, Clock clock, Duration maxAge) {
        String id = header.apply(ID);
        String slug = header.apply(SLUG);
        String tier = header.apply(TIER);
        String time = header.apply(TIME);
        String signature = header.apply(SIGNATURE);
        if (id == null || slug == null || tier == null || time == null || signature == null
                || !signature.startsWith(VERSION + "=")) {
            return Optional.empty();
        }
        long seconds;
        try {
            seconds = Long.parseLong(time);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        byte[] given;
        try {
            given = Base64.getUrlDecoder().decode(signature.substring(VERSION.length() + 1));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (!MessageDigest.isEqual(given, mac(id, slug, tier, seconds))) {
            return Optional.empty();
        }
        long age = Math.abs(clock.instant().getEpochSecond() - seconds);
        return age > maxAge.toSeconds() ? Optional.empty() : Optional.of(new Verified(id, slug, tier, seconds));
    }

    private byte[] mac(String id, String slug, String tier, long unixSeconds) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            String text = VERSION + "\n" + id + "\n" + slug + "\n" + tier + "\n" + unixSeconds;
            return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }
}
