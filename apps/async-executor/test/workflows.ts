/** Workflow definitions the executor's durability and scaling tests share. */

/**
 * Five steps on contact creation: an HTTP call, an update, a task created, another call, a last
 * update; so a run can be caught, killed or moved between any two of them.
 */
export const manySteps = (url: string): string => `schemaVersion: 1
name: Many steps
uniqueName: many-steps
category: workflow
primaryEntity: contact
triggers:
  - on: create
steps:
  - id: first-call
    type: customActivity
    handler: http
    inputs:
      url: '${url}/first/{{record.lastname}}'
  - id: mark
    type: updateRecord
    set:
      jobtitle: started
  - id: follow-up
    type: createRecord
    entity: task
    set:
      subject: 'Follow up {{record.lastname}}'
  - id: second-call
    type: customActivity
    handler: http
    inputs:
      url: '${url}/second/{{record.lastname}}'
  - id: done
    type: updateRecord
    set:
      jobtitle: done
`;
