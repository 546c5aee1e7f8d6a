"""Training algorithms, one package each (pg, a2c, a3c, ppo): defaults, torch and TF policies, execution plan."""
