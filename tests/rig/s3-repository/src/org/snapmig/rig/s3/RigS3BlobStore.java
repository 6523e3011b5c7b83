/* snapmig test rig: blob store over one S3 bucket. */
package org.snapmig.rig.s3;

import org.opensearch.common.blobstore.BlobContainer;
import org.opensearch.common.blobstore.BlobPath;
import org.opensearch.common.blobstore.BlobStore;

final class RigS3BlobStore implements BlobStore {

    private final S3Client client;
    private final String bucket;

    RigS3BlobStore(S3Client client, String bucket) {
        this.client = client;
        this.bucket = bucket;
    }

    S3Client client() {
        return client;
    }

    String bucket() {
        return bucket;
    }

    @Override
    public BlobContainer blobContainer(BlobPath path) {
        return new RigS3BlobContainer(path, this);
    }

    @Override
    public void close() {}

    @Override
    public String toString() {
        return "s3:" + bucket;
    }
}
