//! The AWS adapters of the portal's ports: the model registry on SageMaker (`registry`), monitoring on
//! CloudWatch (`monitoring`), promotion events on EventBridge (`events`) and SageMaker's state-change events
//! read from an SQS queue (`queue`). They depend on the domain only: the AWS SDK compiles here once, apart
//! from the server and the UI.

pub mod calls;
pub mod clients;
pub mod error;
pub mod events;
pub mod metadata;
pub mod monitoring;
pub mod names;
pub mod queue;
pub mod registry;
pub mod settings;

pub use events::EventBridgePublisher;
pub use monitoring::{CloudWatchMonitoring, Endpoints};
pub use queue::{QueueMessage, StateChangeQueue};
pub use registry::{Reconciled, SageMakerRegistry};
pub use settings::{Account, ApiKey, ApprovalRoles, AwsSettings};

/// The SDK crates the adapters are built on, for the server's wiring and tests: one version of each, chosen here.
pub mod sdk {
    pub use aws_config;
    pub use aws_sdk_cloudwatch;
    pub use aws_sdk_eventbridge;
    pub use aws_sdk_sagemaker;
    pub use aws_sdk_sqs;
}
