"""Fine-tunes {{ params.base_model }} with LoRA on {{ params.training_table }}, evaluates it, logs to MLflow."""
import argparse
import json
import math
import os

import mlflow
from datasets import load_dataset
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer, DataCollatorForLanguageModeling, Trainer, TrainingArguments

BASE_MODEL = "{{ params.base_model }}"
TRAINING_DATA = "{{ params.training_table }}"


def main(out: str) -> None:
    tokenizer = AutoTokenizer.from_pretrained(BASE_MODEL)
    tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
    data = load_dataset("json", data_files=TRAINING_DATA.replace("s3://", "s3://"), split="train").train_test_split(test_size=0.1, seed=7)
    tokenized = data.map(lambda b: tokenizer(b["text"], truncation=True, max_length={{ params.max_length }}), batched=True, remove_columns=["text"])
    model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(BASE_MODEL),
        LoraConfig(r={{ params.lora_rank }}, lora_alpha=2 * {{ params.lora_rank }}, task_type="CAUSAL_LM"),
    )
    args = TrainingArguments(output_dir=os.path.join(out, "checkpoints"), num_train_epochs={{ params.epochs }}, report_to=["mlflow"], logging_steps=10)
    trainer = Trainer(model=model, args=args, train_dataset=tokenized["train"], eval_dataset=tokenized["test"],
                      data_collator=DataCollatorForLanguageModeling(tokenizer, mlm=False))
    with mlflow.start_run() as run:
        mlflow.log_params({"base_model": BASE_MODEL, "lora_rank": {{ params.lora_rank }}, "epochs": {{ params.epochs }}})
        trainer.train()
        evaluation = trainer.evaluate()
        metrics = {"eval_loss": evaluation["eval_loss"], "perplexity": math.exp(evaluation["eval_loss"])}
        mlflow.log_metrics(metrics)
        trainer.save_model(os.path.join(out, "adapter"))
        mlflow.log_artifacts(os.path.join(out, "adapter"), artifact_path="adapter")
    with open(os.path.join(out, "result.json"), "w") as f:
        json.dump({
            "mlflow_run_id": run.info.run_id,
            "artifact_uri": f"{run.info.artifact_uri}/adapter",
            "training_data": [TRAINING_DATA],
            "metrics": metrics,
            "description": f"LoRA r={{ params.lora_rank }} on {BASE_MODEL}",
        }, f)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="build-output")
    main(parser.parse_args().out)
