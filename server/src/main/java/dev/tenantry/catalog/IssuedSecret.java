package dev.tenantry.catalog;

/** A freshly created key or token together with its secret, which is shown this once only. */
public record IssuedSecret<T>(T record, String secret) {}
