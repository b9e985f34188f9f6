package dev.tenantry.catalog;

/** One bad input field and why it is bad, e.g. {@code slug}: "must be a DNS label". */
public record FieldError(String field, String reason) {}
