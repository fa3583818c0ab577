-- Retention (model.md §3): the hourly sweep deletes terminal executions, with every row kept for
-- them, once they are older than configured; flow members only together with their finished flow.

-- Solo terminal executions, oldest end first. Flow members are found through their flow.
CREATE INDEX ff_exec_core_retention ON ff_exec_core (terminal_at_ms)
    WHERE lifecycle_phase = 'terminal' AND flow_id IS NULL;
-- Finished flows, oldest end first.
CREATE INDEX ff_flow_core_retention ON ff_flow_core (terminal_at_ms)
    WHERE public_flow_state IN ('completed', 'failed', 'cancelled');

-- An execution's rows in the tables that had no index leading with execution_id.
CREATE INDEX ff_suspension_execution ON ff_suspension (execution_id);
CREATE INDEX ff_signal_execution ON ff_signal (execution_id);
CREATE INDEX ff_budget_exec_usage_execution ON ff_budget_exec_usage (execution_id);
