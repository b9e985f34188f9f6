package dev.tenantry.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/** The harnesses' command lines: {@code --name value} pairs and {@code -h}/{@code --help}. */
final class Args {
    private Args() {}

    /** The pairs in order, and whether help was asked for. */
    record Parsed(boolean help, Map<String, String> values) {}

    static Parsed parse(String[] args, String usage) {
        Map<String, String> values = new LinkedHashMap<>();
        boolean help = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                help = true;
                continue;
            }
            if (!a.startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("unexpected argument '" + a + "'\n" + usage);
            }
            values.put(a.substring(2), args[++i]);
        }
        return new Parsed(help, values);
    }

    /** The integer value of option {@code --name}, which must be from {@code min} to {@code max}. */
    static int bounded(String name, String value, int min, int max) {
        int n;
        try {
            n = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be an integer, not '" + value + "'");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("--" + name + " must be from " + min + " to " + max);
        }
        return n;
    }
}
