package dev.tenantry.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Settings resolve flag > environment > config file > default, and bad ones name themselves. */
class ConfigTest {

    @Test
    void defaults_match_the_design() {
        Config c = Config.resolve(Map.of(), Map.of(), Optional.empty());
        assertThat(c.apiPort()).isEqualTo(8081);
        assertThat(c.gatewayPort()).isEqualTo(8080);
        assertThat(c.baseDomain()).isEqualTo("localhost");
        assertThat(c.dataDir()).isEqualTo(Path.of(".tenantry").toAbsolutePath().normalize());
        assertThat(c.databaseUrl()).isEmpty();
        assertThat(c.roles()).containsExactlyInAnyOrder(Config.Role.values());
        assertThat(c.gatewaySpinMicros()).isEqualTo(50);
    }

    @Test
    void flag_beats_environment_beats_file() throws Exception {
        Path file = Files.createTempFile("tenantry", ".conf");
        Files.writeString(file, "api-port = 9001\ngateway-port = 9002\nbase-domain = file.example\nregion = eu-file\n");
        Config c = Config.resolve(Map.of("api-port", "9101"),
                Map.of("TENANTRY_API_PORT", "9201", "TENANTRY_GATEWAY_PORT", "9202", "TENANTRY_BASE_DOMAIN", "env.example"),
                Optional.of(file));
        assertThat(c.apiPort()).isEqualTo(9101);
        assertThat(c.gatewayPort()).isEqualTo(9202);
        assertThat(c.baseDomain()).isEqualTo("env.example");
        assertThat(c.region()).isEqualTo("eu-file");
    }

    @Test
    void the_data_directory_config_file_is_read_when_present() throws Exception {
        Path dir = Files.createTempDirectory("tenantry");
        Files.writeString(dir.resolve("tenantry.conf"), "region = from-data-dir\n");
        assertThat(Config.resolve(Map.of("data-dir", dir.toString()), Map.of(), Optional.empty()).region()).isEqualTo("from-data-dir");
    }

    @Test
    void egress_deny_defaults_to_private_cgnat_and_link_local_space_and_takes_blocks_addresses_or_none() {
        assertThat(Config.resolve(Map.of(), Map.of(), Optional.empty()).functions().egressDeny())
                .containsExactly("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16");
        assertThat(Config.resolve(Map.of(), Map.of("TENANTRY_EGRESS_DENY", "10.1.0.0/16, 169.254.169.254"), Optional.empty())
                .functions().egressDeny()).containsExactly("10.1.0.0/16", "169.254.169.254/32");
        assertThat(Config.resolve(Map.of("egress-deny", "none"), Map.of(), Optional.empty()).functions().egressDeny()).isEmpty();
        assertThatThrownBy(() -> Config.resolve(Map.of("egress-deny", "10.0.0.0/8,fd00::/8"), Map.of(), Optional.empty()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("egress-deny must be IPv4 addresses or CIDR blocks")
                .hasMessageContaining("'fd00::/8' is not one");
        assertThatThrownBy(() -> Config.resolve(Map.of("egress-deny", "10.0.0.0/33"), Map.of(), Optional.empty()))
                .hasMessageContaining("'10.0.0.0/33' is not one");
        assertThatThrownBy(() -> Config.resolve(Map.of("egress-deny", "10.0.0.1/8"), Map.of(), Optional.empty()))
                .hasMessageContaining("'10.0.0.1/8' has bits set past its prefix; the block is 10.0.0.0/8");
        assertThat(Config.resolve(Map.of("egress-deny", "010.000.0.0/8"), Map.of(), Optional.empty()).functions().egressDeny())
                .as("written out in decimal, as ip reads it").containsExactly("10.0.0.0/8");
    }

    @Test
    void invalid_settings_fail_with_the_setting_and_the_accepted_range() throws Exception {
        assertThatThrownBy(() -> Config.resolve(Map.of("api-port", "70000"), Map.of(), Optional.empty()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("api-port must be an integer from 0 to 65535");
        assertThatThrownBy(() -> Config.resolve(Map.of(), Map.of("TENANTRY_MAX_BODY_BYTES", "ten"), Optional.empty()))
                .hasMessageContaining("max-body-bytes must be an integer from 1024");
        assertThatThrownBy(() -> Config.resolve(Map.of("roles", "api,cook"), Map.of(), Optional.empty()))
                .hasMessageContaining("'cook' is not a role");
        assertThatThrownBy(() -> Config.resolve(Map.of("base-domain", "Not A Domain"), Map.of(), Optional.empty()))
                .hasMessageContaining("base-domain must be");
        assertThatThrownBy(() -> Config.resolve(Map.of("database-url", "mysql://x"), Map.of(), Optional.empty()))
                .hasMessageContaining("database-url must be a PostgreSQL URL");
        Path file = Files.createTempFile("tenantry", ".conf");
        Files.writeString(file, "api-prot = 1\n");
        assertThatThrownBy(() -> Config.resolve(Map.of(), Map.of(), Optional.of(file)))
                .hasMessageContaining("unknown setting 'api-prot'");
        assertThatThrownBy(() -> Config.resolve(Map.of(), Map.of(), Optional.of(file.resolveSibling("absent.conf"))))
                .hasMessageContaining("does not exist");
    }

    @Test
    void credentials_in_a_postgres_url_become_user_and_password_and_leave_the_url() {
        Config c = Config.resolve(Map.of("database-url", "postgresql://app:s%40cret@db:5432/tenantry"), Map.of(), Optional.empty());
        assertThat(c.databaseUrl()).contains("jdbc:postgresql://db:5432/tenantry");
        assertThat(c.databaseUser()).contains("app");
        assertThat(c.databasePassword()).contains("s@cret");
        Config flagWins = Config.resolve(Map.of("database-url", "postgresql://app:x@db/t", "database-user", "other"),
                Map.of(), Optional.empty());
        assertThat(flagWins.databaseUser()).contains("other");
    }

    @Test
    void postgres_urls_are_accepted_in_both_spellings() {
        assertThat(Config.resolve(Map.of("database-url", "postgresql://db:5432/tenantry"), Map.of(), Optional.empty())
                .databaseUrl()).contains("jdbc:postgresql://db:5432/tenantry");
    }
}
