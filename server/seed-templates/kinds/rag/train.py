"""Builds the retrieval index of {{ project.name }} over {{ params.training_table }} with {{ params.embedding_model }},
evaluates recall@{{ params.top_k }} on the labelled questions, and logs index and metrics to MLflow."""
import argparse
import json
import os

import mlflow
import numpy as np
import pandas as pd
from sentence_transformers import SentenceTransformer

DOCUMENTS = "{{ params.training_table }}"
QUESTIONS = "{{ params.eval_questions }}"
TOP_K = {{ params.top_k }}


def main(out: str) -> None:
    documents = pd.read_parquet(DOCUMENTS)  # columns: doc_id, text (chunked upstream)
    questions = pd.read_parquet(QUESTIONS)  # columns: question, doc_id
    encoder = SentenceTransformer("{{ params.embedding_model }}")
    with mlflow.start_run() as run:
        mlflow.log_params({"embedding_model": "{{ params.embedding_model }}", "documents": len(documents), "top_k": TOP_K})
        index = encoder.encode(documents["text"].tolist(), normalize_embeddings=True, batch_size=64)
        queries = encoder.encode(questions["question"].tolist(), normalize_embeddings=True)
        ranked = np.argsort(-queries @ index.T, axis=1)[:, :TOP_K]
        hits = [doc in set(documents["doc_id"].iloc[row]) for doc, row in zip(questions["doc_id"], ranked)]
        metrics = {f"recall_at_{TOP_K}": float(np.mean(hits))}
        mlflow.log_metrics(metrics)
        os.makedirs(out, exist_ok=True)
        np.save(os.path.join(out, "index.npy"), index)
        documents[["doc_id"]].to_parquet(os.path.join(out, "doc_ids.parquet"))
        mlflow.log_artifacts(out, artifact_path="index")
    with open(os.path.join(out, "result.json"), "w") as f:
        json.dump({
            "mlflow_run_id": run.info.run_id,
            "artifact_uri": f"{run.info.artifact_uri}/index",
            "training_data": [DOCUMENTS, QUESTIONS],
            "metrics": metrics,
            "description": "retrieval index with {{ params.embedding_model }}",
        }, f)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="build-output")
    main(parser.parse_args().out)
