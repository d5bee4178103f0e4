//! Components, one per file.

pub mod approval_panel;
pub mod chart;
pub mod dataset_requests;
pub mod deployment_config_form;
pub mod error_alert;
pub mod filter_select;
pub mod gates;
pub mod layout;
pub mod lineage;
pub mod lineage_graph;
pub mod live;
pub mod live_check;
pub mod metrics_table;
pub mod model_card;
pub mod monitoring;
pub mod pager;
pub mod production_panel;
pub mod sort;
pub mod stage_status;
pub mod template_editor;
pub mod test_runs;
pub mod text_area;
pub mod timeline;
pub mod training_run;
