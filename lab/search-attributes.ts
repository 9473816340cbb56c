// The search attributes every lab keeps up to date, so people filter labs in the Web UI.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const labPhaseKey = defineSearchAttributeKey('LabPhase', SearchAttributeType.KEYWORD);
export const labTargetKey = defineSearchAttributeKey('LabTarget', SearchAttributeType.KEYWORD);
export const labResultKey = defineSearchAttributeKey('LabResult', SearchAttributeType.KEYWORD);

export const labSearchAttributes = [labPhaseKey, labTargetKey, labResultKey];
