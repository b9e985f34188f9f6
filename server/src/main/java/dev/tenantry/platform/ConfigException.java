package dev.tenantry.platform;

/** A setting is missing or out of range; the message names the setting and what it accepts. */
public final class ConfigException extends PlatformException {
    public ConfigException(String message) {
        super(message);
    }
}
