package dev.tenantry.functions;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * npm's version ranges, enough to pick the version npm would: exact versions, {@code ^ ~ x *},
 * comparators ({@code >= <= > < =}) joined by spaces, hyphen ranges and {@code ||}. A
 * pre-release version is chosen only when the range names that exact version.
 */
final class Semver {
    private static final Pattern VERSION = Pattern.compile("v?(\\d+)\\.(\\d+)\\.(\\d+)(?:-([0-9A-Za-z.-]+))?(?:\\+[0-9A-Za-z.-]+)?");
    private static final Pattern PARTIAL = Pattern.compile("(<=|>=|<|>|=|~|\\^)?\\s*v?([0-9xX*]+)(?:\\.([0-9xX*]+))?(?:\\.([0-9xX*]+))?(?:-([0-9A-Za-z.-]+))?(?:\\+[0-9A-Za-z.-]+)?");

    private Semver() {}

    /** A parsed version; ordering follows semver precedence. */
    record Version(int major, int minor, int patch, String pre) implements Comparable<Version> {
        static Optional<Version> parse(String text) {
            Matcher m = VERSION.matcher(text.trim());
            if (!m.matches()) {
                return Optional.empty();
            }
            try {
                return Optional.of(new Version(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                        Integer.parseInt(m.group(3)), m.group(4) == null ? "" : m.group(4)));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }

        @Override
        public int compareTo(Version o) {
            int c = Integer.compare(major, o.major);
            c = c != 0 ? c : Integer.compare(minor, o.minor);
            c = c != 0 ? c : Integer.compare(patch, o.patch);
            return c != 0 ? c : comparePre(pre, o.pre);
        }

        private static int comparePre(String a, String b) {
            if (a.equals(b)) {
                return 0;
            }
            if (a.isEmpty() || b.isEmpty()) {
                return a.isEmpty() ? 1 : -1; // a release is above its pre-releases
            }
            String[] x = a.split("\\.");
            String[] y = b.split("\\.");
            for (int i = 0; i < Math.min(x.length, y.length); i++) {
                boolean nx = x[i].matches("\\d+");
                boolean ny = y[i].matches("\\d+");
                int c = nx && ny ? Long.compare(Long.parseLong(x[i]), Long.parseLong(y[i]))
                        : nx ? -1 : ny ? 1 : x[i].compareTo(y[i]);
                if (c != 0) {
                    return c;
                }
            }
            return Integer.compare(x.length, y.length);
        }

        @Override
        public String toString() {
            return major + "." + minor + "." + patch + (pre.isEmpty() ? "" : "-" + pre);
        }
    }

    private record Comparator(String op, Version v) {
        boolean test(Version candidate) {
            int c = candidate.compareTo(v);
            return switch (op) {
                case ">=" -> c >= 0;
                case "<=" -> c <= 0;
                case ">" -> c > 0;
                case "<" -> c < 0;
                default -> c == 0;
            };
        }
    }

    /** Whether {@code range} is one npm accepts (as far as this parser goes). */
    static boolean valid(String range) {
        try {
            parse(range);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The highest of {@code versions} that satisfies {@code range}. */
    static Optional<String> maxSatisfying(Collection<String> versions, String range) {
        List<List<Comparator>> sets = parse(range);
        Version best = null;
        for (String text : versions) {
            Optional<Version> v = Version.parse(text);
            if (v.isPresent() && satisfies(sets, v.get()) && (best == null || v.get().compareTo(best) > 0)) {
                best = v.get();
            }
        }
        return Optional.ofNullable(best).map(Version::toString);
    }

    private static boolean satisfies(List<List<Comparator>> sets, Version v) {
        for (List<Comparator> set : sets) {
            boolean pre = v.pre().isEmpty() || set.stream().anyMatch(c -> c.op().equals("=") && c.v().equals(v));
            if (pre && set.stream().allMatch(c -> c.test(v))) {
                return true;
            }
        }
        return false;
    }

    private static List<List<Comparator>> parse(String range) {
        List<List<Comparator>> sets = new ArrayList<>();
        for (String set : range.trim().split("\\s*\\|\\|\\s*", -1)) {
            sets.add(parseSet(set.trim()));
        }
        return sets;
    }

    private static List<Comparator> parseSet(String set) {
        List<Comparator> out = new ArrayList<>();
        String[] hyphen = set.split("\\s+-\\s+");
        if (hyphen.length == 2) {
            Partial low = Partial.of(hyphen[0]);
            Partial high = Partial.of(hyphen[1]);
            out.add(new Comparator(">=", low.floor()));
            out.addAll(high.complete() ? List.of(new Comparator("<=", high.floor())) : List.of(new Comparator("<", high.ceiling())));
            return out;
        }
        if (set.isEmpty() || set.equals("*") || set.equalsIgnoreCase("x")) {
            out.add(new Comparator(">=", new Version(0, 0, 0, "")));
            return out;
        }
        for (String part : set.replaceAll("(<=|>=|<|>|=|~|\\^)\\s+", "$1").split("\\s+")) {
            out.addAll(Partial.of(part).comparators());
        }
        return out;
    }

    /** One comparator as written: an operator and a version that may lack parts or use x. */
    private record Partial(String op, Integer major, Integer minor, Integer patch, String pre) {
        static Partial of(String text) {
            Matcher m = PARTIAL.matcher(text.trim());
            if (!m.matches()) {
                throw new IllegalArgumentException("'" + text + "' is not a version range");
            }
            return new Partial(m.group(1) == null ? "" : m.group(1), number(m.group(2)), number(m.group(3)),
                    number(m.group(4)), m.group(5) == null ? "" : m.group(5));
        }

        private static Integer number(String part) {
            if (part == null || part.equalsIgnoreCase("x") || part.equals("*")) {
                return null;
            }
            return Integer.parseInt(part);
        }

        boolean complete() {
            return major != null && minor != null && patch != null;
        }

        Version floor() {
            return new Version(major == null ? 0 : major, minor == null ? 0 : minor, patch == null ? 0 : patch,
                    complete() ? pre : "");
        }

        /** The first version above what this partial covers ({@code 1.2} → {@code 1.3.0-0}). */
        Version ceiling() {
            if (major == null) {
                return new Version(Integer.MAX_VALUE, 0, 0, "");
            }
            return minor == null ? new Version(major + 1, 0, 0, "0") : new Version(major, minor + 1, 0, "0");
        }

        List<Comparator> comparators() {
            Version floor = floor();
            return switch (op) {
                case "^" -> List.of(new Comparator(">=", floor), new Comparator("<", caret()));
                case "~" -> List.of(new Comparator(">=", floor), new Comparator("<", minor == null
                        ? new Version(floor.major() + 1, 0, 0, "0") : new Version(floor.major(), floor.minor() + 1, 0, "0")));
                case ">" -> List.of(complete() ? new Comparator(">", floor) : new Comparator(">=", ceiling()));
                case "<" -> List.of(new Comparator("<", complete() ? floor : new Version(floor.major(), floor.minor(), 0, "0")));
                case "<=" -> List.of(complete() ? new Comparator("<=", floor) : new Comparator("<", ceiling()));
                case ">=" -> List.of(new Comparator(">=", floor));
                default -> complete() ? List.of(new Comparator("=", floor))
                        : List.of(new Comparator(">=", floor), new Comparator("<", ceiling()));
            };
        }

        private Version caret() {
            int ma = major == null ? 0 : major;
            int mi = minor == null ? 0 : minor;
            if (ma > 0 || minor == null) {
                return new Version(ma + 1, 0, 0, "0");
            }
            if (mi > 0 || patch == null) {
                return new Version(0, mi + 1, 0, "0");
            }
            return new Version(0, 0, patch + 1, "0");
        }
    }
}
