/*
 * snapmig test rig: repository of type "s3" with the upstream repository
 * settings that matter for snapshot layout: bucket, base_path, client,
 * chunk_size (plus compress/readonly handled by BlobStoreRepository).
 */
package org.snapmig.rig.s3;

import java.util.Map;
import org.opensearch.cluster.metadata.RepositoryMetadata;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.blobstore.BlobPath;
import org.opensearch.common.blobstore.BlobStore;
import org.opensearch.common.settings.Setting;
import org.opensearch.core.common.unit.ByteSizeUnit;
import org.opensearch.core.common.unit.ByteSizeValue;
import org.opensearch.core.xcontent.NamedXContentRegistry;
import org.opensearch.indices.recovery.RecoverySettings;
import org.opensearch.repositories.RepositoryException;
import org.opensearch.repositories.blobstore.BlobStoreRepository;

final class RigS3Repository extends BlobStoreRepository {

    static final String TYPE = "s3";
    static final Setting<String> BUCKET = Setting.simpleString("bucket");
    static final Setting<String> BASE_PATH = Setting.simpleString("base_path");
    static final Setting<String> CLIENT = Setting.simpleString("client", "default");
    static final Setting<ByteSizeValue> CHUNK_SIZE = Setting.byteSizeSetting(
        "chunk_size",
        new ByteSizeValue(1, ByteSizeUnit.GB),
        new ByteSizeValue(5, ByteSizeUnit.MB),
        new ByteSizeValue(5, ByteSizeUnit.TB)
    );

    private final String bucket;
    private final BlobPath basePath;
    private final ByteSizeValue chunkSize;
    private final S3Client.ClientSettings clientSettings;

    RigS3Repository(
        RepositoryMetadata metadata,
        NamedXContentRegistry registry,
        ClusterService clusterService,
        RecoverySettings recoverySettings,
        Map<String, S3Client.ClientSettings> clients
    ) {
        super(metadata, registry, clusterService, recoverySettings);
        this.bucket = BUCKET.get(metadata.settings());
        if (bucket == null || bucket.isEmpty()) {
            throw new RepositoryException(metadata.name(), "No bucket defined for s3 repository");
        }
        BlobPath path = BlobPath.cleanPath();
        for (String elem : BASE_PATH.get(metadata.settings()).split("/")) {
            if (elem.isEmpty() == false) {
                path = path.add(elem);
            }
        }
        this.basePath = path;
        this.chunkSize = CHUNK_SIZE.get(metadata.settings());
        String clientName = CLIENT.get(metadata.settings());
        this.clientSettings = clients.get(clientName);
        if (clientSettings == null) {
            throw new RepositoryException(metadata.name(), "Unknown s3 client name [" + clientName + "], known: " + clients.keySet());
        }
    }

    @Override
    protected BlobStore createBlobStore() {
        return new RigS3BlobStore(new S3Client(clientSettings), bucket);
    }

    @Override
    public BlobPath basePath() {
        return basePath;
    }

    @Override
    protected ByteSizeValue chunkSize() {
        return chunkSize;
    }
}
