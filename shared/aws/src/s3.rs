//! S3 adapter for the document archive. The bucket has Object Lock, so objects are write-once; the put is
//! conditional (`If-None-Match: *`) and an existing object is accepted only with identical bytes.

use aws_sdk_s3::Client;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::ByteStream;
use seikyu_service::ports::{ArchiveError, DocumentArchive};

#[derive(Clone, Debug)]
pub struct S3Archive {
    client: Client,
    bucket: String,
}

fn unavailable<E: std::fmt::Debug>(e: E) -> ArchiveError {
    ArchiveError::Unavailable(format!("{e:?}").chars().take(600).collect())
}

impl S3Archive {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }
}

impl DocumentArchive for S3Archive {
    async fn put(&self, key: &str, content_type: &str, bytes: &[u8]) -> Result<(), ArchiveError> {
        let r = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .if_none_match("*")
            .body(ByteStream::from(bytes.to_vec()))
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if matches!(e.raw().status().as_u16(), 409 | 412) => {
                match self.get(key).await? {
                    Some(existing) if existing == bytes => Ok(()),
                    Some(_) => Err(ArchiveError::Immutable(key.to_string())),
                    // 409 ConditionalRequestConflict: another conditional write of this key is still
                    // in flight (two deliveries archiving the same bytes); try again.
                    None => Err(ArchiveError::Unavailable(format!(
                        "{key}: a concurrent write is in progress"
                    ))),
                }
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, ArchiveError> {
        match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => {
                let data = out.body.collect().await.map_err(unavailable)?;
                Ok(Some(data.into_bytes().to_vec()))
            }
            Err(SdkError::ServiceError(e)) if e.err().is_no_such_key() => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }
}
