/**
 * The {@code tenantry} command-line client (picocli): a client of the control-plane API through
 * the SDK's {@code AdminClient}, like kubectl. Tables for people, {@code -o json} for scripts,
 * documented exit codes ({@link dev.tenantry.cli.ExitCodes}). Depends on the SDK only.
 */
package dev.tenantry.cli;
