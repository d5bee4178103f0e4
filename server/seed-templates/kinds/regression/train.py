"""Trains and evaluates a {{ params.algorithm }} regression model on {{ params.training_table }}, logging to MLflow."""
import argparse
import json
import os
import pathlib

import mlflow
import mlflow.sklearn
import pandas as pd
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error
from sklearn.model_selection import train_test_split

TRAINING_DATA = "{{ params.training_table }}"
TARGET = "{{ params.target_column }}"
ALGORITHMS = {
    "gradient_boosting": lambda: GradientBoostingRegressor(random_state=7),
    "random_forest": lambda: RandomForestRegressor(n_estimators=200, random_state=7),
    "ridge": lambda: Ridge(alpha=1.0),
}


def load() -> pd.DataFrame:
    # glue://database.table is read through Athena (awswrangler); a local CSV path works for a dry run.
    if TRAINING_DATA.startswith("glue://"):
        import awswrangler as wr
        database, table = TRAINING_DATA.removeprefix("glue://").split(".", 1)
        return wr.athena.read_sql_table(table=table, database=database)
    return pd.read_csv(TRAINING_DATA)


def artifact_location(model_id: str) -> str:
    """Where the logged model's files are (s3://... on a production tracking server); a local path as file://."""
    location = mlflow.get_logged_model(model_id).artifact_location
    return location if "://" in location else pathlib.Path(location).resolve().as_uri()


def main(out: str) -> None:
    frame = load()
    features = frame.drop(columns=[TARGET]).select_dtypes("number")
    x_train, x_test, y_train, y_test = train_test_split(features, frame[TARGET], test_size={{ params.test_fraction }}, random_state=7)
    with mlflow.start_run() as run:
        model = ALGORITHMS["{{ params.algorithm }}"]()
        mlflow.log_params({"algorithm": "{{ params.algorithm }}", "rows": len(frame), "features": features.shape[1]})
        model.fit(x_train, y_train)
        predicted = model.predict(x_test)
        metrics = {
            "rmse": float(root_mean_squared_error(y_test, predicted)),
            "mae": float(mean_absolute_error(y_test, predicted)),
            "r2": float(r2_score(y_test, predicted)),
        }
        mlflow.log_metrics(metrics)
        info = mlflow.sklearn.log_model(model, name="model", input_example=x_test.head(3))
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "result.json"), "w") as f:
        json.dump({
            "mlflow_run_id": run.info.run_id,
            "artifact_uri": artifact_location(info.model_id),
            "training_data": [TRAINING_DATA],
            "metrics": metrics,
            "description": "{{ params.algorithm }} on " + TRAINING_DATA,
        }, f)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="build-output")
    main(parser.parse_args().out)
