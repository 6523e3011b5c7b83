/*
 * snapmig test rig: stand-in for the upstream repository-s3 plugin, which is
 * not published on Maven Central for OpenSearch 2.x. Registers repository type
 * "s3" and the s3.client.<name>.{endpoint,protocol,path_style_access,region}
 * node settings plus the access_key/secret_key keystore settings.
 */
package org.snapmig.rig.s3;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.settings.SecureSetting;
import org.opensearch.common.settings.Setting;
import org.opensearch.common.settings.Setting.Property;
import org.opensearch.common.settings.Settings;
import org.opensearch.core.common.settings.SecureString;
import org.opensearch.core.xcontent.NamedXContentRegistry;
import org.opensearch.env.Environment;
import org.opensearch.indices.recovery.RecoverySettings;
import org.opensearch.plugins.Plugin;
import org.opensearch.plugins.RepositoryPlugin;
import org.opensearch.repositories.Repository;

public final class RigS3Plugin extends Plugin implements RepositoryPlugin {

    static final String PREFIX = "s3.client.";

    static final Setting.AffixSetting<String> ENDPOINT = Setting.affixKeySetting(
        PREFIX, "endpoint", key -> Setting.simpleString(key, Property.NodeScope));
    static final Setting.AffixSetting<String> PROTOCOL = Setting.affixKeySetting(
        PREFIX, "protocol", key -> Setting.simpleString(key, "https", Property.NodeScope));
    static final Setting.AffixSetting<Boolean> PATH_STYLE_ACCESS = Setting.affixKeySetting(
        PREFIX, "path_style_access", key -> Setting.boolSetting(key, false, Property.NodeScope));
    static final Setting.AffixSetting<String> REGION = Setting.affixKeySetting(
        PREFIX, "region", key -> Setting.simpleString(key, Property.NodeScope));
    static final Setting.AffixSetting<SecureString> ACCESS_KEY = Setting.affixKeySetting(
        PREFIX, "access_key", key -> SecureSetting.secureString(key, null));
    static final Setting.AffixSetting<SecureString> SECRET_KEY = Setting.affixKeySetting(
        PREFIX, "secret_key", key -> SecureSetting.secureString(key, null));

    private final Map<String, S3Client.ClientSettings> clients;

    public RigS3Plugin(Settings settings, Path configPath) {
        Set<String> names = new TreeSet<>();
        names.add("default");
        for (Setting.AffixSetting<?> s : Arrays.asList(ENDPOINT, PROTOCOL, PATH_STYLE_ACCESS, REGION, ACCESS_KEY, SECRET_KEY)) {
            names.addAll(s.getNamespaces(settings));
        }
        Map<String, S3Client.ClientSettings> loaded = new HashMap<>();
        for (String name : names) {
            // Secure settings are only readable while the node is being constructed, so read them now.
            try (
                SecureString access = ACCESS_KEY.getConcreteSettingForNamespace(name).get(settings);
                SecureString secret = SECRET_KEY.getConcreteSettingForNamespace(name).get(settings)
            ) {
                loaded.put(
                    name,
                    new S3Client.ClientSettings(
                        ENDPOINT.getConcreteSettingForNamespace(name).get(settings),
                        PROTOCOL.getConcreteSettingForNamespace(name).get(settings),
                        PATH_STYLE_ACCESS.getConcreteSettingForNamespace(name).get(settings),
                        REGION.getConcreteSettingForNamespace(name).get(settings),
                        access.toString(),
                        secret.toString()
                    )
                );
            }
        }
        this.clients = Collections.unmodifiableMap(loaded);
    }

    @Override
    public Map<String, Repository.Factory> getRepositories(
        Environment env,
        NamedXContentRegistry registry,
        ClusterService clusterService,
        RecoverySettings recoverySettings
    ) {
        return Collections.singletonMap(
            RigS3Repository.TYPE,
            metadata -> new RigS3Repository(metadata, registry, clusterService, recoverySettings, clients)
        );
    }

    @Override
    public List<Setting<?>> getSettings() {
        return Arrays.asList(ENDPOINT, PROTOCOL, PATH_STYLE_ACCESS, REGION, ACCESS_KEY, SECRET_KEY);
    }
}
