package dev.tenantry.bench;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A minimal HTTP/1.1 client on one keep-alive connection, over TCP or a Unix domain socket: the
 * same code (a blocking {@link SocketChannel}) for the Tenantry gateway and for the bare Node
 * server it is compared with, so both latencies carry the same client cost. One request at a
 * time; every exchange is bounded by a deadline (a watchdog thread closes a connection whose
 * request overran it).
 */
final class FunctionHttp implements AutoCloseable {
    private static final int MAX_HEADER_BYTES = 64 * 1024;
    private static final Set<FunctionHttp> OPEN = ConcurrentHashMap.newKeySet();
    private static final Thread WATCHDOG = Thread.ofPlatform().daemon().name("function-http-watchdog").unstarted(FunctionHttp::watch);

    static {
        WATCHDOG.start();
    }

    private final SocketAddress address;
    private final String hostHeader;
    private final String otherHeaders;
    private final long timeoutNanos;
    private SocketChannel channel;
    private byte[] buf = new byte[16 * 1024];
    private ByteBuffer view = ByteBuffer.wrap(buf);
    private int pos;
    private int lim;
    private volatile long deadline;
    private volatile boolean timedOut;

    /** The answer to one request; {@code body} is null unless asked for. */
    record Response(int status, byte[] body) {
        String text() {
            return body == null ? "" : new String(body, StandardCharsets.UTF_8);
        }
    }

    private FunctionHttp(SocketAddress address, String hostHeader, String bearerToken, long timeoutMillis) {
        this.address = address;
        this.hostHeader = hostHeader;
        this.otherHeaders = (bearerToken == null ? "" : "Authorization: Bearer " + bearerToken + "\r\n")
                + "User-Agent: tenantry-bench\r\n";
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    }

    /** A client of a TCP server that sends {@code Host: host}. */
    static FunctionHttp tcp(InetSocketAddress address, String host, String bearerToken, long timeoutMillis) {
        return new FunctionHttp(address, host, bearerToken, timeoutMillis);
    }

    /** A client of an HTTP server on a Unix domain socket. */
    static FunctionHttp unix(Path socket, long timeoutMillis) {
        return new FunctionHttp(UnixDomainSocketAddress.of(socket), "localhost", null, timeoutMillis);
    }

    /** Opens the connection now (so that a timed request does not include the connect). */
    FunctionHttp connect() throws IOException {
        if (channel == null) {
            arm();
            try {
                SocketChannel c = SocketChannel.open(address);
                if (address instanceof InetSocketAddress) {
                    c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                }
                channel = c;
                OPEN.add(this);
                pos = 0;
                lim = 0;
            } finally {
                disarm();
            }
        }
        return this;
    }

    /** The bytes of a GET of {@code path}; built once for a loop of identical requests. */
    byte[] get(String path) {
        return ("GET " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\n" + otherHeaders + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** The bytes of a request with a JSON body. */
    byte[] json(String method, String path, String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        byte[] head = (method + " " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\n" + otherHeaders
                + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] request = Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, request, head.length, body.length);
        return request;
    }

    /** Sends a request (opening the connection when needed) and reads the whole answer. */
    Response exchange(byte[] request, boolean keepBody) throws IOException {
        connect();
        arm();
        try {
            ByteBuffer out = ByteBuffer.wrap(request);
            while (out.hasRemaining()) {
                channel.write(out);
            }
            return read(keepBody);
        } catch (IOException e) {
            close();
            throw timedOut ? new IOException("no complete answer within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms", e) : e;
        } finally {
            disarm();
        }
    }

    /** GET with the body kept. */
    Response get(String path, boolean keepBody) throws IOException {
        return exchange(get(path), keepBody);
    }

    private Response read(boolean keepBody) throws IOException {
        String statusLine = line();
        if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12) {
            throw new IOException("not an HTTP/1.x status line: " + statusLine);
        }
        int status = Integer.parseInt(statusLine.substring(9, 12));
        long length = -1;
        boolean chunked = false;
        boolean closeAfter = statusLine.startsWith("HTTP/1.0");
        int headerBytes = 0;
        for (String h = line(); !h.isEmpty(); h = line()) {
            headerBytes += h.length();
            if (headerBytes > MAX_HEADER_BYTES) {
                throw new IOException("response headers too large");
            }
            int colon = h.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = h.substring(0, colon).trim();
            String value = h.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Content-Length")) {
                length = Long.parseLong(value);
            } else if (name.equalsIgnoreCase("Transfer-Encoding") && value.toLowerCase().contains("chunked")) {
                chunked = true;
            } else if (name.equalsIgnoreCase("Connection")) {
                closeAfter = value.equalsIgnoreCase("close");
            }
        }
        java.io.ByteArrayOutputStream body = keepBody ? new java.io.ByteArrayOutputStream() : null;
        if (chunked) {
            while (true) {
                String sizeLine = line();
                int semi = sizeLine.indexOf(';');
                long size = Long.parseLong((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim(), 16);
                if (size == 0) {
                    while (!line().isEmpty()) {
                        // trailers
                    }
                    break;
                }
                take(size, body);
                line();
            }
        } else if (length >= 0) {
            take(length, body);
        } else if (status != 204 && status != 304 && status >= 200) {
            throw new IOException("answer without Content-Length or chunked encoding (status " + status + ")");
        }
        if (closeAfter) {
            close();
        }
        return new Response(status, body == null ? null : body.toByteArray());
    }

    private void take(long length, java.io.ByteArrayOutputStream sink) throws IOException {
        long left = length;
        while (left > 0) {
            if (pos == lim) {
                fill();
            }
            int n = (int) Math.min(left, lim - pos);
            if (sink != null) {
                sink.write(buf, pos, n);
            }
            pos += n;
            left -= n;
        }
    }

    private String line() throws IOException {
        int from = pos;
        while (true) {
            for (int i = from; i < lim; i++) {
                if (buf[i] == '\n') {
                    int end = i > pos && buf[i - 1] == '\r' ? i - 1 : i;
                    String s = new String(buf, pos, end - pos, StandardCharsets.ISO_8859_1);
                    pos = i + 1;
                    return s;
                }
            }
            if (lim - pos > MAX_HEADER_BYTES) {
                throw new IOException("response line too long");
            }
            from = lim;
            int before = pos;
            fill();
            from -= before - pos; // fill() may have moved the unread bytes to the front
        }
    }

    /** Reads more bytes after {@code lim}, first moving the unread ones to the front (or growing the buffer). */
    private void fill() throws IOException {
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, lim - pos);
            lim -= pos;
            pos = 0;
        }
        if (lim == buf.length) {
            buf = Arrays.copyOf(buf, buf.length * 2);
            view = ByteBuffer.wrap(buf);
        }
        view.limit(buf.length).position(lim);
        int n = channel.read(view);
        if (n < 0) {
            throw new EOFException("connection closed by the server");
        }
        lim += n;
    }

    private void arm() {
        timedOut = false;
        deadline = System.nanoTime() + timeoutNanos;
    }

    private void disarm() {
        deadline = 0;
    }

    private static void watch() {
        while (true) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (FunctionHttp c : OPEN) {
                long d = c.deadline;
                if (d != 0 && now - d > 0) {
                    c.timedOut = true;
                    c.closeChannel();
                }
            }
        }
    }

    private void closeChannel() {
        SocketChannel c = channel;
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // nothing to do
            }
        }
    }

    @Override
    public void close() {
        closeChannel();
        channel = null;
        OPEN.remove(this);
        pos = 0;
        lim = 0;
    }
}
