package dev.tenantry.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One HTTP/1.x message head (start line and header fields) parsed in place: the fields are
 * offsets into the buffer, so that forwarding a head copies bytes instead of building strings.
 * An instance is reused for one connection's heads, one at a time.
 */
final class HttpHead {
    private ByteBuf buf;
    private int lineEnd;
    private int[] fields = new int[32 * 4]; // per field: name start, name end, value start, value end
    private int count;

    /**
     * The index just past the blank line that ends the head starting at the reader index, or -1 if
     * it has not all come. Blank lines before a head must have been skipped ({@link #skipBlankLines}).
     */
    static int end(ByteBuf buf) {
        int from = buf.readerIndex();
        int to = buf.writerIndex();
        while (from < to) {
            int lf = buf.forEachByte(from, to - from, ByteProcessor.FIND_LF);
            if (lf < 0) {
                return -1;
            }
            int lineLength = lf - from;
            if (lineLength == 0 || (lineLength == 1 && buf.getByte(from) == '\r')) {
                return lf + 1;
            }
            from = lf + 1;
        }
        return -1;
    }

    /** Skips the empty lines a client may send between requests (RFC 9112 2.2). */
    static void skipBlankLines(ByteBuf buf) {
        while (buf.isReadable() && (buf.getByte(buf.readerIndex()) == '\r' || buf.getByte(buf.readerIndex()) == '\n')) {
            buf.skipBytes(1);
        }
    }

    /** Parses the whole readable part of {@code head}; false when it is not a well-formed HTTP/1.x head. */
    boolean parse(ByteBuf head) {
        buf = head;
        count = 0;
        int from = head.readerIndex();
        int to = head.writerIndex();
        int lf = head.indexOf(from, to, (byte) '\n');
        lineEnd = trimCr(from, lf);
        if (lineEnd <= from) {
            return false;
        }
        for (int line = lf + 1; line < to; ) {
            int next = head.indexOf(line, to, (byte) '\n');
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
        return lf > from && buf.getByte(lf - 1) == '\r' ? lf - 1 : lf;
    }

    private boolean field(int from, int to) {
        int colon = buf.indexOf(from, to, (byte) ':');
        byte first = buf.getByte(from);
        if (colon <= from || first == ' ' || first == '\t' || buf.getByte(colon - 1) == ' ') {
            return false; // no name, obsolete line folding, or whitespace before the colon (RFC 9112 5.1)
        }
        int valueStart = colon + 1;
        while (valueStart < to && isSpace(buf.getByte(valueStart))) {
            valueStart++;
        }
        int valueEnd = to;
        while (valueEnd > valueStart && isSpace(buf.getByte(valueEnd - 1))) {
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
        return buf.toString(fields[i * 4], name.length(), StandardCharsets.US_ASCII).equalsIgnoreCase(name);
    }

    String value(int i) {
        return buf.toString(fields[i * 4 + 2], fields[i * 4 + 3] - fields[i * 4 + 2], StandardCharsets.ISO_8859_1);
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
            byte b = buf.getByte(p);
            if (b < '0' || b > '9') {
                return -1;
            }
            n = n * 10 + (b - '0');
        }
        return n;
    }

    /** Appends field {@code i} as it came ({@code name: value CRLF}). */
    void copyField(int i, ByteBuf out) {
        out.writeBytes(buf, fields[i * 4], fields[i * 4 + 3] - fields[i * 4]).writeByte('\r').writeByte('\n');
    }

    /** Appends field {@code i}'s value bytes. */
    void copyValue(int i, ByteBuf out) {
        out.writeBytes(buf, fields[i * 4 + 2], fields[i * 4 + 3] - fields[i * 4 + 2]);
    }

    /** The methods a request line names without a new string for each request. */
    private static final String[] METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};

    /**
     * A request line's method, target and version (split at its first two spaces), or null when
     * it has not three parts.
     */
    String[] requestLine() {
        int start = buf.readerIndex();
        int first = buf.indexOf(start, lineEnd, (byte) ' ');
        int second = first < 0 ? -1 : buf.indexOf(first + 1, lineEnd, (byte) ' ');
        if (first <= start || second <= first + 1 || second + 1 >= lineEnd) {
            return null;
        }
        String version = lineEnd - second - 1 == 8 && sameBytes(second + 1, "HTTP/1.1") ? "HTTP/1.1"
                : buf.toString(second + 1, lineEnd - second - 1, StandardCharsets.ISO_8859_1);
        return new String[] {method(start, first), buf.toString(first + 1, second - first - 1, StandardCharsets.ISO_8859_1),
            version};
    }

    private String method(int start, int end) {
        for (String known : METHODS) {
            if (end - start == known.length() && sameBytes(start, known)) {
                return known;
            }
        }
        return buf.toString(start, end - start, StandardCharsets.ISO_8859_1);
    }

    private boolean sameBytes(int start, String ascii) {
        for (int i = 0; i < ascii.length(); i++) {
            if (buf.getByte(start + i) != ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Appends the start line as it came, with its CRLF. */
    void copyStartLine(ByteBuf out) {
        out.writeBytes(buf, buf.readerIndex(), lineEnd - buf.readerIndex()).writeByte('\r').writeByte('\n');
    }

    /** The status code of a response head, or -1 when its status line is malformed. */
    int status() {
        int at = buf.readerIndex() + "HTTP/1.1 ".length();
        if (lineEnd < at + 3 || !equalsLower(buf.readerIndex(), buf.readerIndex() + 7, "http/1.")) {
            return -1;
        }
        int status = 0;
        for (int p = at; p < at + 3; p++) {
            byte b = buf.getByte(p);
            if (b < '0' || b > '9') {
                return -1;
            }
            status = status * 10 + (b - '0');
        }
        return status;
    }

    /** Whether a response head's version is HTTP/1.0 (its connection closes unless it says keep-alive). */
    boolean responseIsHttp10() {
        return buf.getByte(buf.readerIndex() + 7) == '0';
    }

    private boolean equalsLower(int start, int end, String lower) {
        if (end - start != lower.length()) {
            return false;
        }
        for (int i = 0; i < lower.length(); i++) {
            int b = buf.getByte(start + i);
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
