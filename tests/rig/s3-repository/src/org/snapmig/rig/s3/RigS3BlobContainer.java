/*
 * snapmig test rig: blob container that maps OpenSearch blob paths to S3 keys
 * exactly like the upstream repository-s3 plugin does (base_path/…/blobName).
 */
package org.snapmig.rig.s3;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.opensearch.common.blobstore.BlobContainer;
import org.opensearch.common.blobstore.BlobMetadata;
import org.opensearch.common.blobstore.BlobPath;
import org.opensearch.common.blobstore.DeleteResult;
import org.opensearch.common.blobstore.support.AbstractBlobContainer;
import org.opensearch.common.blobstore.support.PlainBlobMetadata;

final class RigS3BlobContainer extends AbstractBlobContainer {

    private final RigS3BlobStore store;
    private final String keyPath;

    RigS3BlobContainer(BlobPath path, RigS3BlobStore store) {
        super(path);
        this.store = store;
        this.keyPath = path.buildAsString();
    }

    private String key(String blobName) {
        return keyPath + blobName;
    }

    @Override
    public boolean blobExists(String blobName) throws IOException {
        return store.client().exists(store.bucket(), key(blobName));
    }

    @Override
    public InputStream readBlob(String blobName) throws IOException {
        return store.client().get(store.bucket(), key(blobName), -1, -1);
    }

    @Override
    public InputStream readBlob(String blobName, long position, long length) throws IOException {
        if (position < 0 || length < 0) {
            throw new IllegalArgumentException("invalid range [" + position + ", " + length + "] for blob [" + blobName + "]");
        }
        if (length == 0) {
            return new ByteArrayInputStream(new byte[0]);
        }
        return store.client().get(store.bucket(), key(blobName), position, Math.addExact(position, length - 1));
    }

    @Override
    public void writeBlob(String blobName, InputStream inputStream, long blobSize, boolean failIfAlreadyExists) throws IOException {
        // Like upstream repository-s3: S3 has no cheap conditional PUT, failIfAlreadyExists is not enforced.
        store.client().put(store.bucket(), key(blobName), inputStream, blobSize);
    }

    @Override
    public void writeBlobAtomic(String blobName, InputStream inputStream, long blobSize, boolean failIfAlreadyExists)
        throws IOException {
        writeBlob(blobName, inputStream, blobSize, failIfAlreadyExists);
    }

    @Override
    public DeleteResult delete() throws IOException {
        S3Client.Listing all = store.client().list(store.bucket(), keyPath, null);
        long blobs = 0;
        long bytes = 0;
        for (S3Client.ObjectEntry e : all.objects) {
            store.client().delete(store.bucket(), e.key);
            blobs++;
            bytes += e.size;
        }
        return new DeleteResult(blobs, bytes);
    }

    @Override
    public void deleteBlobsIgnoringIfNotExists(List<String> blobNames) throws IOException {
        for (String name : blobNames) {
            store.client().delete(store.bucket(), key(name));
        }
    }

    @Override
    public Map<String, BlobMetadata> listBlobs() throws IOException {
        return listBlobsByPrefix(null);
    }

    @Override
    public Map<String, BlobMetadata> listBlobsByPrefix(String blobNamePrefix) throws IOException {
        S3Client.Listing listing = store.client().list(store.bucket(), keyPath + (blobNamePrefix == null ? "" : blobNamePrefix), "/");
        Map<String, BlobMetadata> result = new LinkedHashMap<>();
        for (S3Client.ObjectEntry e : listing.objects) {
            String name = e.key.substring(keyPath.length());
            if (name.isEmpty() == false) {
                result.put(name, new PlainBlobMetadata(name, e.size));
            }
        }
        return result;
    }

    @Override
    public Map<String, BlobContainer> children() throws IOException {
        S3Client.Listing listing = store.client().list(store.bucket(), keyPath, "/");
        Map<String, BlobContainer> result = new LinkedHashMap<>();
        for (String prefix : listing.commonPrefixes) {
            String name = prefix.substring(keyPath.length());
            while (name.endsWith("/")) {
                name = name.substring(0, name.length() - 1);
            }
            if (name.isEmpty() == false) {
                result.put(name, store.blobContainer(path().add(name)));
            }
        }
        return result;
    }
}
