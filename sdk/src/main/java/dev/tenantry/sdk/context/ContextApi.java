package dev.tenantry.sdk.context;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The two context endpoints of a Tenantry node: the snapshot and the change stream. */
final class ContextApi {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final FeedConfig config;
    private final HttpClient http;

    /** The node answered with a status other than 200. */
    static final class Refused extends IOException {
        private final int status;

        Refused(URI uri, int status, String body) {
            super("GET " + uri.getRawPath() + " answered " + status + (body.isBlank() ? "" : ": " + abbreviate(body)));
            this.status = status;
        }

        /** The token was refused: retrying soon will not help, retrying later may. */
        boolean unauthorized() {
            return status == 401 || status == 403;
        }
    }

    ContextApi(FeedConfig config, HttpClient http) {
        this.config = config;
        this.http = http;
    }

    /** Every plan and tenant as of one change number; waits at most the read timeout. */
    ContextSnapshot snapshot() throws IOException, InterruptedException {
        URI uri = config.endpoint("/v1/context/snapshot");
        HttpRequest request = authorized(uri).header("Accept", "application/json").GET().build();
        HttpResponse<byte[]> response = await(uri, http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()));
        if (response.statusCode() != 200) {
            throw new Refused(uri, response.statusCode(), new String(response.body(), StandardCharsets.UTF_8));
        }
        ContextSnapshot snapshot = JSON.readValue(response.body(), ContextSnapshot.class);
        return new ContextSnapshot(snapshot.seq(), orEmpty(snapshot.plans()), orEmpty(snapshot.tenants()));
    }

    /** Opens the change stream after change number {@code after}. */
    ChangeStream changes(long after) {
        URI uri = config.endpoint("/v1/context/changes?after=" + after);
        HttpRequest request = authorized(uri)
                .header("Accept", "text/event-stream")
                .header("Cache-Control", "no-cache")
                .header("Last-Event-ID", Long.toString(after))
                .GET().build();
        return ChangeStream.open(http, request);
    }

    private HttpRequest.Builder authorized(URI uri) {
        return HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + config.token());
    }

    private <T> HttpResponse<T> await(URI uri, CompletableFuture<HttpResponse<T>> pending)
            throws IOException, InterruptedException {
        long timeout = config.readTimeout().toMillis();
        try {
            return pending.get(timeout, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new HttpTimeoutException("no snapshot from " + uri + " within " + timeout + " ms");
        } catch (ExecutionException e) {
            throw unreachable(uri, e.getCause());
        } finally {
            pending.cancel(true); // a no-op once it completed; aborts the exchange otherwise
        }
    }

    /** A transport failure as an IOException that says where it happened. */
    static IOException unreachable(URI uri, Throwable cause) {
        String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return new IOException("cannot reach " + uri + ": " + why, cause);
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }

    private static String abbreviate(String body) {
        String flat = body.strip().replaceAll("\\s+", " ");
        return flat.length() <= 200 ? flat : flat.substring(0, 200) + "…";
    }
}
