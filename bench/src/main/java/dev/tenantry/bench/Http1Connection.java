package dev.tenantry.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A minimal HTTP/1.1 client on one keep-alive socket, for load generation: no pooling, no
 * redirects, no TLS, one request at a time. Much cheaper per request than java.net.http, which
 * matters when the load generator shares two cores with the server it measures.
 */
final class Http1Connection implements AutoCloseable {
    private static final int CONNECT_TIMEOUT_MS = 5_000;
    private static final int READ_TIMEOUT_MS = 30_000;
    private static final int MAX_HEADER_BYTES = 64 * 1024;

    private final InetSocketAddress address;
    private final String hostHeader;
    private final String otherHeaders;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private boolean closeAfter;
    private final byte[] skip = new byte[8192];

    /** The answer to one request; {@code body} is kept only when asked for. */
    record Response(int status, byte[] body) {}

    Http1Connection(InetSocketAddress address, String bearerToken) {
        this.address = address;
        this.hostHeader = address.getHostString() + ":" + address.getPort();
        this.otherHeaders = (bearerToken == null ? "" : "Authorization: Bearer " + bearerToken + "\r\n")
                + "User-Agent: tenantry-bench\r\n";
    }

    /** GET; the status, the body too when {@code keepBody}. A reused connection found closed is reopened once. */
    Response get(String path, boolean keepBody) throws IOException {
        return get(path, hostHeader, keepBody);
    }

    /** GET with this {@code Host} header instead of the server's address (a gateway picks the tenant by it). */
    Response get(String path, String host, boolean keepBody) throws IOException {
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + otherHeaders + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        boolean reused = socket != null;
        try {
            return exchange(request, keepBody);
        } catch (IOException e) {
            close();
            if (!reused) {
                throw e;
            }
            return exchange(request, keepBody); // the server may have closed an idle connection
        }
    }

    /** POST of a JSON body (never retried: it is not idempotent). */
    Response postJson(String path, String json, boolean keepBody) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("POST " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\n" + otherHeaders
                + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] request = new byte[head.length + body.length];
        System.arraycopy(head, 0, request, 0, head.length);
        System.arraycopy(body, 0, request, head.length, body.length);
        try {
            return exchange(request, keepBody);
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    private Response exchange(byte[] request, boolean keepBody) throws IOException {
        if (socket == null) {
            open();
        }
        out.write(request);
        out.flush();
        Response response = readResponse(keepBody);
        if (closeAfter) {
            close();
        }
        return response;
    }

    private void open() throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.setSoTimeout(READ_TIMEOUT_MS);
        s.connect(address, CONNECT_TIMEOUT_MS);
        socket = s;
        in = new BufferedInputStream(s.getInputStream(), 16 * 1024);
        out = s.getOutputStream();
    }

    private Response readResponse(boolean keepBody) throws IOException {
        String statusLine = readLine();
        // "HTTP/1.1 200 OK"
        if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12) {
            throw new IOException("not an HTTP/1.x status line: " + statusLine);
        }
        int status = Integer.parseInt(statusLine.substring(9, 12));
        long contentLength = -1;
        boolean chunked = false;
        closeAfter = statusLine.startsWith("HTTP/1.0");
        int headerBytes = 0;
        while (true) {
            String line = readLine();
            if (line.isEmpty()) {
                break;
            }
            headerBytes += line.length();
            if (headerBytes > MAX_HEADER_BYTES) {
                throw new IOException("response headers too large");
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Content-Length")) {
                contentLength = Long.parseLong(value);
            } else if (name.equalsIgnoreCase("Transfer-Encoding") && value.toLowerCase().contains("chunked")) {
                chunked = true;
            } else if (name.equalsIgnoreCase("Connection")) {
                closeAfter = value.equalsIgnoreCase("close");
            }
        }
        ByteArrayOutputStream body = keepBody ? new ByteArrayOutputStream() : null;
        if (chunked) {
            while (true) {
                String sizeLine = readLine();
                int semi = sizeLine.indexOf(';');
                long size = Long.parseLong((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim(), 16);
                if (size == 0) {
                    while (!readLine().isEmpty()) {
                        // trailers
                    }
                    break;
                }
                consume(size, body);
                readLine(); // CRLF after the chunk
            }
        } else if (contentLength >= 0) {
            consume(contentLength, body);
        } else if (status != 204 && status != 304 && !(status >= 100 && status < 200)) {
            // Body delimited by the end of the connection.
            consume(Long.MAX_VALUE, body);
            closeAfter = true;
        }
        return new Response(status, body == null ? null : body.toByteArray());
    }

    private void consume(long length, ByteArrayOutputStream sink) throws IOException {
        long left = length;
        while (left > 0) {
            int n = in.read(skip, 0, (int) Math.min(skip.length, left));
            if (n < 0) {
                if (length == Long.MAX_VALUE) {
                    return;
                }
                throw new EOFException("connection closed in the middle of a response body");
            }
            if (sink != null) {
                sink.write(skip, 0, n);
            }
            left -= n;
        }
    }

    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder(64);
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("connection closed by the server");
            }
            if (c == '\n') {
                int len = line.length();
                if (len > 0 && line.charAt(len - 1) == '\r') {
                    line.setLength(len - 1);
                }
                return line.toString();
            }
            if (line.length() > MAX_HEADER_BYTES) {
                throw new IOException("response line too long");
            }
            line.append((char) c);
        }
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // nothing to do
            }
        }
        socket = null;
        in = null;
        out = null;
    }
}
