package dev.tenantry.provision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the master key comes from, and what is refused. */
class MasterKeyTest {
    @TempDir
    Path dir;

    static byte[] roundTrip(MasterKey sealer, MasterKey opener) {
        byte[] aad = "aad".getBytes(StandardCharsets.UTF_8);
        return SecretBox.of(opener).open(SecretBox.of(sealer).seal("x".getBytes(StandardCharsets.UTF_8), aad), aad);
    }

    @Test
    void the_environment_variable_wins_and_no_file_is_written() {
        String key = MasterKey.generate();
        MasterKey fromEnv = MasterKey.load(Map.of("TENANTRY_MASTER_KEY", key), dir);
        assertThat(fromEnv.source()).contains("TENANTRY_MASTER_KEY");
        assertThat(fromEnv.toString()).doesNotContain(key);
        assertThat(dir.resolve("master.key")).doesNotExist();
        assertThat(roundTrip(fromEnv, MasterKey.load(Map.of("TENANTRY_MASTER_KEY", key), dir.resolve("elsewhere"))))
                .isEqualTo("x".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void a_key_file_is_created_owner_only_on_first_use_and_reused_after() throws IOException {
        Path dataDir = dir.resolve("data");
        MasterKey first = MasterKey.load(Map.of(), dataDir);
        Path file = dataDir.resolve("master.key");
        assertThat(file).exists();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(Base64.getDecoder().decode(Files.readString(file).strip())).hasSize(32);
        assertThat(first.source()).contains(file.toString());
        MasterKey second = MasterKey.load(Map.of("TENANTRY_MASTER_KEY", " "), dataDir);
        assertThat(roundTrip(first, second)).isEqualTo("x".getBytes(StandardCharsets.UTF_8));
        try (var files = Files.list(dataDir)) {
            assertThat(files).containsExactly(file);
        }
    }

    @Test
    void a_key_file_others_may_read_is_refused_with_the_fix() throws IOException {
        MasterKey.load(Map.of(), dir);
        Path file = dir.resolve("master.key");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> MasterKey.load(Map.of(), dir)).isInstanceOf(ProvisionException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("rw-r--r--").hasMessageContaining("chmod 600");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw----r--"));
        assertThatThrownBy(() -> MasterKey.load(Map.of(), dir)).isInstanceOf(ProvisionException.class);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertThat(MasterKey.load(Map.of(), dir).source()).contains(file.toString());
    }

    @Test
    void malformed_keys_are_refused_naming_where_they_came_from() throws IOException {
        assertThatThrownBy(() -> MasterKey.load(Map.of("TENANTRY_MASTER_KEY", "not base64!"), dir))
                .isInstanceOf(ProvisionException.class).hasMessageContaining("TENANTRY_MASTER_KEY").hasMessageContaining("base64");
        String short16 = Base64.getEncoder().encodeToString(new byte[16]);
        assertThatThrownBy(() -> MasterKey.load(Map.of("TENANTRY_MASTER_KEY", short16), dir))
                .isInstanceOf(ProvisionException.class).hasMessageContaining("has 16 bytes").hasMessageContaining("32");
        Path file = dir.resolve("master.key");
        Files.writeString(file, "garbage");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertThatThrownBy(() -> MasterKey.load(Map.of(), dir)).isInstanceOf(ProvisionException.class)
                .hasMessageContaining(file.toString());
    }
}
