package dev.tenantry.catalog;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** The catalog's input rules; each check appends a {@link FieldError} instead of throwing. */
final class Rules {
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern REGION = Pattern.compile("[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?");
    private static final Pattern LABEL_KEY = Pattern.compile("[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?");
    private static final Pattern PLAN_NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?");
    private static final Pattern SCOPE = Pattern.compile("[a-z0-9][a-z0-9:._-]{0,63}");
    static final int MAX_LABELS = 32;
    static final int MAX_LABEL_VALUE = 256;
    static final int MAX_DISPLAY_NAME = 200;
    static final int MAX_SCOPES = 20;

    private Rules() {}

    static boolean isSlug(String slug) {
        return DNS_LABEL.matcher(slug).matches();
    }

    static void slug(String field, String slug, List<FieldError> errors) {
        if (slug.isEmpty()) {
            errors.add(new FieldError(field, "must not be empty"));
        } else if (slug.length() > 63) {
            errors.add(new FieldError(field, "must be at most 63 characters (it has " + slug.length() + ")"));
        } else if (!isSlug(slug)) {
            errors.add(new FieldError(field,
                    "must be a DNS label: lower-case letters a-z, digits and '-', not starting or ending with '-'"));
        }
    }

    static void displayName(String field, String name, List<FieldError> errors) {
        if (name.isBlank()) {
            errors.add(new FieldError(field, "must not be blank"));
        } else if (name.length() > MAX_DISPLAY_NAME) {
            errors.add(new FieldError(field, "must be at most " + MAX_DISPLAY_NAME + " characters"));
        } else if (name.chars().anyMatch(Character::isISOControl)) {
            errors.add(new FieldError(field, "must not contain control characters"));
        }
    }

    static void region(String field, String region, List<FieldError> errors) {
        if (!REGION.matcher(region).matches()) {
            errors.add(new FieldError(field, "must be 1-32 lower-case letters, digits and '-' (e.g. eu-west-1)"));
        }
    }

    static void planName(String field, String name, List<FieldError> errors) {
        if (!PLAN_NAME.matcher(name).matches()) {
            errors.add(new FieldError(field, "must be 1-32 lower-case letters, digits and '-'"));
        }
    }

    static void labels(String field, Map<String, String> labels, List<FieldError> errors) {
        if (labels.size() > MAX_LABELS) {
            errors.add(new FieldError(field, "must have at most " + MAX_LABELS + " labels"));
        }
        labels.forEach((key, value) -> {
            if (!LABEL_KEY.matcher(key).matches()) {
                errors.add(new FieldError(field + "." + key,
                        "label keys are 1-63 lower-case letters, digits, '.', '_', '/' or '-', starting and ending alphanumeric"));
            }
            if (value.length() > MAX_LABEL_VALUE || value.chars().anyMatch(Character::isISOControl)) {
                errors.add(new FieldError(field + "." + key,
                        "label values are at most " + MAX_LABEL_VALUE + " characters without control characters"));
            }
        });
    }

    static void scopes(String field, List<String> scopes, List<FieldError> errors) {
        if (scopes.size() > MAX_SCOPES) {
            errors.add(new FieldError(field, "must have at most " + MAX_SCOPES + " scopes"));
        }
        for (int i = 0; i < scopes.size(); i++) {
            if (!SCOPE.matcher(scopes.get(i)).matches()) {
                errors.add(new FieldError(field + "[" + i + "]",
                        "scopes are 1-64 lower-case letters, digits, ':', '.', '_' or '-'"));
            }
        }
    }

    /** A hostname per RFC 1123, already lower-cased; {@code baseDomain}'s direct children are reserved. */
    static void hostname(String field, String host, String baseDomain, List<FieldError> errors) {
        String[] labels = host.split("\\.", -1);
        boolean wellFormed = !host.isEmpty() && host.length() <= 253 && labels.length >= 2;
        for (String label : labels) {
            wellFormed &= DNS_LABEL.matcher(label).matches();
        }
        if (!wellFormed) {
            errors.add(new FieldError(field,
                    "must be a fully qualified hostname: dot-separated DNS labels, at most 253 characters, no port or trailing dot"));
        } else if (host.endsWith("." + baseDomain) && labels.length == baseDomain.split("\\.").length + 1) {
            errors.add(new FieldError(field,
                    "names of the form <label>." + baseDomain + " are reserved for tenants' default hostnames"));
        } else if (host.equals(baseDomain)) {
            errors.add(new FieldError(field, "the base domain itself cannot be a tenant's hostname"));
        }
    }

    static void throwIfAny(List<FieldError> errors) {
        if (!errors.isEmpty()) {
            throw new CatalogException.InvalidInput(errors);
        }
    }
}
