package dev.tenantry.gateway;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One HTTP/1.x message head (start line and header fields), copied out of the connection's
 * buffer in one piece and parsed in place: the fields are offsets into that copy, so that
 * forwarding a head copies bytes instead of building strings. (Reading a direct buffer byte by
 * byte is slow where Netty runs without {@code sun.misc.Unsafe}, as on Java 25.) An instance is
 * reused for one connection's heads, one at a time; the last head read stays valid until the next.
 */
final class HttpHead {
    private static final int FIRST_COPY = 1024;
    private byte[] bytes = new byte[FIRST_COPY];
    private int length;
    private int lineEnd;
    private int[] fields = new int[32 * 4]; // per field: name start, name end, value start, value end
    private int count;

    /** Skips the empty lines a client may send between requests (RFC 9112 2.2). */
    static void skipBlankLines(ByteBuf buf) {
        while (buf.isReadable() && (buf.getByte(buf.readerIndex()) == '\r' || buf.getByte(buf.readerIndex()) == '\n')) {
            buf.skipBytes(1);
        }
    }

    /**
     * Copies the head that starts at {@code buf}'s reader index, if it has all come within
     * {@code limit} bytes, and answers its length (through its blank line); -1 otherwise. The
     * buffer's indexes do not move. Blank lines before a head must have been skipped.
     */
    int read(ByteBuf buf, int limit) {
        int available = Math.min(buf.readableBytes(), limit);
        int copied = 0;
        int searchFrom = 0;
        while (copied < available) {
            int n = Math.min(available, Math.max(FIRST_COPY, copied * 2));
            if (n > bytes.length) {
                bytes = Arrays.copyOf(bytes, n);
            }
            buf.getBytes(buf.readerIndex() + copied, bytes, copied, n - copied);
            copied = n;
            int end = blankLineEnd(searchFrom, copied);
            if (end > 0) {
                length = end;
                return end;
            }
            searchFrom = Math.max(0, copied - 3);
        }
        return -1;
    }

    private int blankLineEnd(int from, int to) {
        for (int lf = indexOf(from, to, (byte) '\n'); lf >= 0; lf = indexOf(lf + 1, to, (byte) '\n')) {
            if (lf + 1 < to && bytes[lf + 1] == '\n') {
                return lf + 2;
            }
            if (lf + 2 < to && bytes[lf + 1] == '\r' && bytes[lf + 2] == '\n') {
                return lf + 3;
            }
        }
        return -1;
    }

    private int indexOf(int from, int to, byte b) {
        for (int i = from; i < to; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /** Parses the head last {@linkplain #read read}; false when it is not a well-formed HTTP/1.x head. */
    boolean parse() {
        count = 0;
        int lf = indexOf(0, length, (byte) '\n');
        lineEnd = trimCr(0, lf);
        if (lineEnd <= 0) {
            return false;
        }
        for (int line = lf + 1; line < length; ) {
            int next = indexOf(line, length, (byte) '\n');
            int end = trimCr(line, next);
            if (end == line) {
                return true; // the blank line
            }
            if (!field(line, end)) {
                return false;
            }
            line = next + 1;
        }
        return false;
    }

    private int trimCr(int from, int lf) {
        return lf > from && bytes[lf - 1] == '\r' ? lf - 1 : lf;
    }

    private boolean field(int from, int to) {
        int colon = indexOf(from, to, (byte) ':');
        byte first = bytes[from];
        if (colon <= from || first == ' ' || first == '\t' || bytes[colon - 1] == ' ') {
            return false; // no name, obsolete line folding, or whitespace before the colon (RFC 9112 5.1)
        }
        int valueStart = colon + 1;
        while (valueStart < to && isSpace(bytes[valueStart])) {
            valueStart++;
        }
        int valueEnd = to;
        while (valueEnd > valueStart && isSpace(bytes[valueEnd - 1])) {
            valueEnd--;
        }
        if (count * 4 == fields.length) {
            fields = Arrays.copyOf(fields, fields.length * 2);
        }
        int at = count++ * 4;
        fields[at] = from;
        fields[at + 1] = colon;
        fields[at + 2] = valueStart;
        fields[at + 3] = valueEnd;
        return true;
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t';
    }

    /** The length in bytes of the start line of the head last read, before it is parsed. */
    int startLineLength() {
        int lf = indexOf(0, length, (byte) '\n');
        return lf < 0 ? length : lf + 1;
    }

    /** The length in bytes of the head last read, its blank line included. */
    int length() {
        return length;
    }

    int count() {
        return count;
    }

    /** Whether field {@code i}'s name is {@code lowerName} (given in lower case), in any case. */
    boolean nameIs(int i, String lowerName) {
        return equalsLower(fields[i * 4], fields[i * 4 + 1], lowerName);
    }

    /** Whether field {@code i}'s name starts with {@code lowerPrefix}, in any case. */
    boolean nameStartsWith(int i, String lowerPrefix) {
        int start = fields[i * 4];
        return fields[i * 4 + 1] - start >= lowerPrefix.length()
                && equalsLower(start, start + lowerPrefix.length(), lowerPrefix);
    }

    /** Whether field {@code i}'s name is one of the comma-separated tokens of {@code list}. */
    boolean nameListedIn(int i, String list) {
        int nameLength = fields[i * 4 + 1] - fields[i * 4];
        for (int from = 0; from <= list.length(); ) {
            int comma = list.indexOf(',', from);
            int end = comma < 0 ? list.length() : comma;
            String token = list.substring(from, end).strip();
            if (token.length() == nameLength && equalsIgnoringCase(i, token)) {
                return true;
            }
            from = end + 1;
        }
        return false;
    }

    private boolean equalsIgnoringCase(int i, String name) {
        return new String(bytes, fields[i * 4], name.length(), StandardCharsets.US_ASCII).equalsIgnoreCase(name);
    }

    String name(int i) {
        return new String(bytes, fields[i * 4], fields[i * 4 + 1] - fields[i * 4], StandardCharsets.ISO_8859_1);
    }

    String value(int i) {
        return new String(bytes, fields[i * 4 + 2], fields[i * 4 + 3] - fields[i * 4 + 2], StandardCharsets.ISO_8859_1);
    }

    /** The first value of the field named {@code lowerName}, or null. */
    String header(String lowerName) {
        int i = indexOf(lowerName);
        return i < 0 ? null : value(i);
    }

    int indexOf(String lowerName) {
        return indexOf(lowerName, 0);
    }

    /** Whether the field named {@code lowerName} at {@code i} is the only one of that name after it. */
    boolean lastOfName(int i, String lowerName) {
        return indexOf(lowerName, i + 1) < 0;
    }

    private int indexOf(String lowerName, int from) {
        for (int i = from; i < count; i++) {
            if (nameIs(i, lowerName)) {
                return i;
            }
        }
        return -1;
    }

    /** Whether field {@code i}'s value, as a comma-separated list, holds {@code lowerToken} in any case. */
    boolean valueHasToken(int i, String lowerToken) {
        String value = value(i);
        for (int from = 0; from <= value.length(); ) {
            int comma = value.indexOf(',', from);
            int end = comma < 0 ? value.length() : comma;
            if (value.substring(from, end).strip().equalsIgnoreCase(lowerToken)) {
                return true;
            }
            from = end + 1;
        }
        return false;
    }

    /** A Content-Length value, or -1 when it is not a plain non-negative decimal. */
    long contentLength(int i) {
        int start = fields[i * 4 + 2];
        int end = fields[i * 4 + 3];
        if (end == start || end - start > 18) {
            return -1;
        }
        long n = 0;
        for (int p = start; p < end; p++) {
            byte b = bytes[p];
            if (b < '0' || b > '9') {
                return -1;
            }
            n = n * 10 + (b - '0');
        }
        return n;
    }

    /** Appends field {@code i} as it came ({@code name: value CRLF}). */
    void copyField(int i, ByteBuf out) {
        out.writeBytes(bytes, fields[i * 4], fields[i * 4 + 3] - fields[i * 4]).writeByte('\r').writeByte('\n');
    }

    /** Appends field {@code i}'s value bytes. */
    void copyValue(int i, ByteBuf out) {
        out.writeBytes(bytes, fields[i * 4 + 2], fields[i * 4 + 3] - fields[i * 4 + 2]);
    }

    /** The methods a request line names without a new string for each request. */
    private static final String[] METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};

    /**
     * A request line's method, target and version (split at its first two spaces), or null when
     * it has not three parts.
     */
    String[] requestLine() {
        int start = 0;
        int first = indexOf(start, lineEnd, (byte) ' ');
        int second = first < 0 ? -1 : indexOf(first + 1, lineEnd, (byte) ' ');
        if (first <= start || second <= first + 1 || second + 1 >= lineEnd) {
            return null;
        }
        String version = lineEnd - second - 1 == 8 && sameBytes(second + 1, "HTTP/1.1") ? "HTTP/1.1"
                : new String(bytes, second + 1, lineEnd - second - 1, StandardCharsets.ISO_8859_1);
        return new String[] {method(start, first), new String(bytes, first + 1, second - first - 1, StandardCharsets.ISO_8859_1),
            version};
    }

    private String method(int start, int end) {
        for (String known : METHODS) {
            if (end - start == known.length() && sameBytes(start, known)) {
                return known;
            }
        }
        return new String(bytes, start, end - start, StandardCharsets.ISO_8859_1);
    }

    private boolean sameBytes(int start, String ascii) {
        for (int i = 0; i < ascii.length(); i++) {
            if (bytes[start + i] != ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Appends the start line as it came, with its CRLF. */
    void copyStartLine(ByteBuf out) {
        out.writeBytes(bytes, 0, lineEnd).writeByte('\r').writeByte('\n');
    }

    /** The status code of a response head, or -1 when its status line is malformed. */
    int status() {
        int at = "HTTP/1.1 ".length();
        if (lineEnd < at + 3 || !equalsLower(0, 7, "http/1.")) {
            return -1;
        }
        int status = 0;
        for (int p = at; p < at + 3; p++) {
            byte b = bytes[p];
            if (b < '0' || b > '9') {
                return -1;
            }
            status = status * 10 + (b - '0');
        }
        return status;
    }

    /** Whether a response head's version is HTTP/1.0 (its connection closes unless it says keep-alive). */
    boolean responseIsHttp10() {
        return bytes[7] == '0';
    }

    private boolean equalsLower(int start, int end, String lower) {
        if (end - start != lower.length()) {
            return false;
        }
        for (int i = 0; i < lower.length(); i++) {
            int b = bytes[start + i];
            if (b >= 'A' && b <= 'Z') {
                b += 'a' - 'A';
            }
            if (b != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
