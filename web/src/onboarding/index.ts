/** The onboarding checklist, its header progress (lazy, see HeaderProgress) and the data guard. */
export { useDataGate, useOnboarding } from './api';
export { OnboardingChecklist, OnboardingPanel } from './Checklist';
export { DataGuard, NoDataYet } from './DataGuard';
export { checklistVisible, dataGate, progress, stepAction, type DataGate, type Onboarding, type StepId } from './logic';
