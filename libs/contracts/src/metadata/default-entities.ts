/**
 * The entities every Flowline installation starts with, modelled on the source platform's
 * standard ones. The registry seeds them in a migration; tests and examples use them too.
 */
import type { AttributeMetadata, EntityMetadata, OptionMetadata } from './entity-metadata';

const text = (logicalName: string, displayName: string, maxLength = 100, required = false): AttributeMetadata => ({
  logicalName,
  displayName,
  type: 'string',
  maxLength,
  ...(required ? { required } : {}),
});
const memo = (logicalName: string, displayName: string, maxLength = 2000): AttributeMetadata => ({
  logicalName,
  displayName,
  type: 'memo',
  maxLength,
});
const money = (logicalName: string, displayName: string): AttributeMetadata => ({
  logicalName,
  displayName,
  type: 'money',
  precision: 2,
  minValue: 0,
});
const integer = (logicalName: string, displayName: string, minValue?: number, maxValue?: number): AttributeMetadata => ({
  logicalName,
  displayName,
  type: 'integer',
  ...(minValue !== undefined ? { minValue } : {}),
  ...(maxValue !== undefined ? { maxValue } : {}),
});
const decimal = (logicalName: string, displayName: string): AttributeMetadata => ({
  logicalName,
  displayName,
  type: 'decimal',
  precision: 2,
});
const bool = (logicalName: string, displayName: string): AttributeMetadata => ({ logicalName, displayName, type: 'boolean' });
const date = (logicalName: string, displayName: string): AttributeMetadata => ({ logicalName, displayName, type: 'datetime' });
const lookup = (logicalName: string, displayName: string, ...targets: string[]): AttributeMetadata => ({
  logicalName,
  displayName,
  type: 'lookup',
  targets,
});
const options = (logicalName: string, displayName: string, values: Array<[number, string]>): AttributeMetadata => ({
  logicalName,
  displayName,
  type: 'optionset',
  options: values.map(([value, label]) => ({ value, label })),
});
const id = (logicalName: string): AttributeMetadata => ({ logicalName, displayName: 'Id', type: 'uniqueidentifier' });
const owner: AttributeMetadata = { logicalName: 'ownerid', displayName: 'Owner', type: 'owner', targets: ['systemuser', 'team'] };

function stateAndStatus(states: Array<[number, string]>, statuses: Array<[number, string, number]>): AttributeMetadata[] {
  return [
    { logicalName: 'statecode', displayName: 'Status', type: 'state', options: states.map(([value, label]) => ({ value, label })) },
    {
      logicalName: 'statuscode',
      displayName: 'Status Reason',
      type: 'status',
      options: statuses.map(([value, label, state]): OptionMetadata => ({ value, label, state })),
    },
  ];
}

const activeInactive = stateAndStatus(
  [
    [0, 'Active'],
    [1, 'Inactive'],
  ],
  [
    [1, 'Active', 0],
    [2, 'Inactive', 1],
  ],
);

export const DEFAULT_ENTITIES: readonly EntityMetadata[] = [
  {
    logicalName: 'account',
    displayName: 'Account',
    primaryIdAttribute: 'accountid',
    primaryNameAttribute: 'name',
    ownership: 'user',
    attributes: [
      id('accountid'),
      text('name', 'Account Name', 160, true),
      text('accountnumber', 'Account Number', 20),
      text('telephone1', 'Main Phone', 50),
      text('emailaddress1', 'Email', 100),
      text('websiteurl', 'Website', 200),
      text('address1_city', 'City', 80),
      text('address1_country', 'Country', 80),
      money('creditlimit', 'Credit Limit'),
      bool('creditonhold', 'Credit Hold'),
      money('revenue', 'Annual Revenue'),
      integer('numberofemployees', 'Number of Employees', 0),
      options('industrycode', 'Industry', [
        [1, 'Accounting'],
        [2, 'Agriculture'],
        [3, 'Consulting'],
        [4, 'Financial'],
        [5, 'Manufacturing'],
        [6, 'Retail'],
        [7, 'Technology'],
      ]),
      options('customertypecode', 'Relationship Type', [
        [1, 'Competitor'],
        [2, 'Consultant'],
        [3, 'Customer'],
        [4, 'Partner'],
        [5, 'Prospect'],
      ]),
      options('onboardingstatus', 'Onboarding Status', [
        [1, 'Not started'],
        [2, 'In progress'],
        [3, 'Completed'],
      ]),
      lookup('primarycontactid', 'Primary Contact', 'contact'),
      lookup('parentaccountid', 'Parent Account', 'account'),
      memo('description', 'Description'),
      owner,
      ...activeInactive,
    ],
  },
  {
    logicalName: 'contact',
    displayName: 'Contact',
    primaryIdAttribute: 'contactid',
    primaryNameAttribute: 'fullname',
    ownership: 'user',
    attributes: [
      id('contactid'),
      text('firstname', 'First Name', 50),
      text('lastname', 'Last Name', 50, true),
      text('fullname', 'Full Name', 160),
      text('jobtitle', 'Job Title', 100),
      text('emailaddress1', 'Email', 100),
      text('telephone1', 'Business Phone', 50),
      text('mobilephone', 'Mobile Phone', 50),
      date('birthdate', 'Birthday'),
      lookup('parentcustomerid', 'Company Name', 'account'),
      bool('donotemail', 'Do not allow Emails'),
      memo('description', 'Description'),
      owner,
      ...activeInactive,
    ],
  },
  {
    logicalName: 'lead',
    displayName: 'Lead',
    primaryIdAttribute: 'leadid',
    primaryNameAttribute: 'subject',
    ownership: 'user',
    attributes: [
      id('leadid'),
      text('subject', 'Topic', 300, true),
      text('firstname', 'First Name', 50),
      text('lastname', 'Last Name', 50),
      text('companyname', 'Company Name', 100),
      text('emailaddress1', 'Email', 100),
      money('estimatedamount', 'Est. Value'),
      options('leadsourcecode', 'Lead Source', [
        [1, 'Advertisement'],
        [2, 'Employee Referral'],
        [3, 'External Referral'],
        [4, 'Partner'],
        [5, 'Web'],
        [6, 'Other'],
      ]),
      options('leadqualitycode', 'Rating', [
        [1, 'Hot'],
        [2, 'Warm'],
        [3, 'Cold'],
      ]),
      owner,
      ...stateAndStatus(
        [
          [0, 'Open'],
          [1, 'Qualified'],
          [2, 'Disqualified'],
        ],
        [
          [1, 'New', 0],
          [2, 'Contacted', 0],
          [3, 'Qualified', 1],
          [4, 'Lost', 2],
          [5, 'Cannot Contact', 2],
          [6, 'No Longer Interested', 2],
        ],
      ),
    ],
  },
  {
    logicalName: 'opportunity',
    displayName: 'Opportunity',
    primaryIdAttribute: 'opportunityid',
    primaryNameAttribute: 'name',
    ownership: 'user',
    attributes: [
      id('opportunityid'),
      text('name', 'Topic', 300, true),
      lookup('customerid', 'Potential Customer', 'account', 'contact'),
      money('estimatedvalue', 'Est. Revenue'),
      date('estimatedclosedate', 'Est. Close Date'),
      integer('closeprobability', 'Probability', 0, 100),
      decimal('discountpercentage', 'Discount (%)'),
      money('actualvalue', 'Actual Revenue'),
      memo('description', 'Description'),
      owner,
      ...stateAndStatus(
        [
          [0, 'Open'],
          [1, 'Won'],
          [2, 'Lost'],
        ],
        [
          [1, 'In Progress', 0],
          [2, 'On Hold', 0],
          [3, 'Won', 1],
          [4, 'Canceled', 2],
          [5, 'Out-Sold', 2],
        ],
      ),
    ],
  },
  {
    logicalName: 'incident',
    displayName: 'Case',
    primaryIdAttribute: 'incidentid',
    primaryNameAttribute: 'title',
    ownership: 'user',
    attributes: [
      id('incidentid'),
      text('title', 'Case Title', 200, true),
      text('ticketnumber', 'Case Number', 100),
      lookup('customerid', 'Customer', 'account', 'contact'),
      options('prioritycode', 'Priority', [
        [1, 'High'],
        [2, 'Normal'],
        [3, 'Low'],
      ]),
      options('severitycode', 'Severity', [
        [1, 'Default Value'],
        [2, 'Critical'],
      ]),
      options('caseorigincode', 'Origin', [
        [1, 'Phone'],
        [2, 'Email'],
        [3, 'Web'],
      ]),
      bool('isescalated', 'Is Escalated'),
      date('escalatedon', 'Escalated On'),
      memo('description', 'Description'),
      owner,
      ...stateAndStatus(
        [
          [0, 'Active'],
          [1, 'Resolved'],
          [2, 'Cancelled'],
        ],
        [
          [1, 'In Progress', 0],
          [2, 'On Hold', 0],
          [3, 'Waiting for Details', 0],
          [4, 'Researching', 0],
          [5, 'Problem Solved', 1],
          [1000, 'Information Provided', 1],
          [6, 'Cancelled', 2],
        ],
      ),
    ],
  },
  {
    logicalName: 'task',
    displayName: 'Task',
    primaryIdAttribute: 'activityid',
    primaryNameAttribute: 'subject',
    ownership: 'user',
    attributes: [
      id('activityid'),
      text('subject', 'Subject', 200, true),
      memo('description', 'Description'),
      lookup('regardingobjectid', 'Regarding', 'account', 'contact', 'lead', 'opportunity', 'incident'),
      date('scheduledend', 'Due'),
      options('prioritycode', 'Priority', [
        [0, 'Low'],
        [1, 'Normal'],
        [2, 'High'],
      ]),
      integer('percentcomplete', 'Percent Complete', 0, 100),
      owner,
      ...stateAndStatus(
        [
          [0, 'Open'],
          [1, 'Completed'],
          [2, 'Canceled'],
        ],
        [
          [2, 'Not Started', 0],
          [3, 'In Progress', 0],
          [4, 'Waiting on someone else', 0],
          [5, 'Completed', 1],
          [6, 'Canceled', 2],
        ],
      ),
    ],
  },
  {
    logicalName: 'email',
    displayName: 'Email',
    primaryIdAttribute: 'activityid',
    primaryNameAttribute: 'subject',
    ownership: 'user',
    attributes: [
      id('activityid'),
      text('subject', 'Subject', 200, true),
      memo('description', 'Description', 100000),
      text('to', 'To', 500),
      text('from', 'From', 200),
      lookup('regardingobjectid', 'Regarding', 'account', 'contact', 'lead', 'opportunity', 'incident'),
      bool('directioncode', 'Outgoing'),
      owner,
      ...stateAndStatus(
        [
          [0, 'Open'],
          [1, 'Completed'],
          [2, 'Canceled'],
        ],
        [
          [1, 'Draft', 0],
          [8, 'Failed', 0],
          [2, 'Completed', 1],
          [3, 'Sent', 1],
          [4, 'Received', 1],
          [5, 'Canceled', 2],
        ],
      ),
    ],
  },
  {
    logicalName: 'systemuser',
    displayName: 'User',
    primaryIdAttribute: 'systemuserid',
    primaryNameAttribute: 'fullname',
    ownership: 'organization',
    attributes: [
      id('systemuserid'),
      text('fullname', 'Full Name', 200, true),
      text('domainname', 'User Name', 1024),
      text('internalemailaddress', 'Primary Email', 100),
      lookup('businessunitid', 'Business Unit', 'businessunit'),
      lookup('parentsystemuserid', 'Manager', 'systemuser'),
      bool('isdisabled', 'Status'),
    ],
  },
  {
    logicalName: 'team',
    displayName: 'Team',
    primaryIdAttribute: 'teamid',
    primaryNameAttribute: 'name',
    ownership: 'organization',
    attributes: [
      id('teamid'),
      text('name', 'Team Name', 160, true),
      lookup('businessunitid', 'Business Unit', 'businessunit'),
      lookup('administratorid', 'Administrator', 'systemuser'),
      memo('description', 'Description'),
    ],
  },
  {
    logicalName: 'businessunit',
    displayName: 'Business Unit',
    primaryIdAttribute: 'businessunitid',
    primaryNameAttribute: 'name',
    ownership: 'none',
    attributes: [
      id('businessunitid'),
      text('name', 'Name', 160, true),
      lookup('parentbusinessunitid', 'Parent Business', 'businessunit'),
      text('divisionname', 'Division', 100),
    ],
  },
];
