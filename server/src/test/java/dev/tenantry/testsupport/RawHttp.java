package dev.tenantry.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.x spoken byte by byte over one socket, for tests of what goes over the wire: chunked
 * bodies, interim answers, pipelining, responses framed by the connection's close.
 */
public final class RawHttp implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    /** An answer as it came: how its body was framed is part of it. */
    public record Response(int status, Map<String, String> headers, String body, String framing) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    public RawHttp(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(20_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    public RawHttp send(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return this;
    }

    /** Reads one answer; {@code head} for the answer to a HEAD request (no body whatever its headers say). */
    public Response read(boolean head) throws IOException {
        String[] status = line().split(" ", 3);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line = line(); !line.isEmpty(); line = line()) {
            int colon = line.indexOf(':');
            headers.putIfAbsent(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), line.substring(colon + 1).strip());
        }
        int code = Integer.parseInt(status[1]);
        if (head || code < 200 || code == 204 || code == 304) {
            return new Response(code, headers, "", "none");
        }
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            for (int size = Integer.parseInt(line().split(";")[0].strip(), 16); size > 0;
                 size = Integer.parseInt(line().split(";")[0].strip(), 16)) {
                body.write(in.readNBytes(size));
                line();
            }
            while (!line().isEmpty()) {
                // trailers
            }
            return new Response(code, headers, body.toString(StandardCharsets.UTF_8), "chunked");
        }
        if (headers.containsKey("content-length")) {
            byte[] body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
            return new Response(code, headers, new String(body, StandardCharsets.UTF_8), "length");
        }
        return new Response(code, headers, new String(in.readAllBytes(), StandardCharsets.UTF_8), "close");
    }

    /** Whether the other end has closed the connection (reads end), waiting at most the socket's timeout. */
    public boolean closedByPeer() throws IOException {
        return in.read() < 0;
    }

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("the connection closed mid-line: " + line.toString(StandardCharsets.ISO_8859_1));
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
