"""A Copilot add-on (``copilot/<service>/addons/*.yml``, a CloudFormation template) included in a
service's stack, its outputs wired into the task the way Copilot wires them."""

from __future__ import annotations

import difflib
import weakref
from collections.abc import Mapping
from pathlib import Path

import jsii
from aws_cdk import CfnOutput, CfnResource, IStableListProducer, Lazy, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import cloudformation_include as cfn_include
from constructs import Construct

from .cfn_templates import output_wiring, read_template
from .doors import checked
from .errors import InvalidParameterError
from .scopes import stack_of
from .task import FargateTaskWithRoles

COPILOT_PARAMETERS = ("App", "Env", "Name")
_PARAMETERS: weakref.WeakKeyDictionary[Stack, dict[str, str]] = weakref.WeakKeyDictionary()


@checked
class CopilotAddon(Construct):
    """A CloudFormation template included as it is (``cloudformation_include.CfnInclude``,
    logical IDs kept), with Copilot's parameters supplied and its outputs wired as Copilot
    wires an add-on's outputs:

    - ``!Ref`` of an ``AWS::IAM::ManagedPolicy``: attached to the task role;
    - ``!Ref`` of an ``AWS::SecretsManager::Secret``: a secret of the main container (the
      execution role may read exactly it);
    - ``!Ref``/``!GetAtt ... GroupId`` of an ``AWS::EC2::SecurityGroup``: added to the service;
    - anything else: an environment variable of the main container, named in upper snake case
      (``MyTableName`` -> ``MY_TABLE_NAME``).

    The included resources are not changed or acknowledged: the app's cdk-nag packs and
    cfn-lint check them like any other resource of the stack.

    :param template_file: the add-on template (YAML or JSON).
    :param task: the service's task; its role and main container receive the outputs.
    :param service: the ECS service (``FargateService.service``), for security-group outputs
        (required if there are any).
    :param app: value of the template's ``App`` parameter, if it declares one.
    :param environment: value of its ``Env`` parameter.
    :param name: value of its ``Name`` parameter (the service's name).
    :param parameters: values of its other parameters (Copilot's ``addons.parameters.yml``).

    ``wired`` maps each output to what it became (``"task role policy"``, ``"secret
    DB_SECRET"``, ``"variable TABLE_NAME"``, ``"security group"``). ``include`` is the
    ``CfnInclude``: ``include.get_resource("Table")`` reaches an included resource.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        template_file: str | Path,
        task: FargateTaskWithRoles,
        service: ecs.FargateService | None = None,
        app: str | None = None,
        environment: str | None = None,
        name: str | None = None,
        parameters: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, id)
        path = Path(template_file)
        template = read_template(path)
        declared = dict(template.get("Parameters") or {})
        values = dict(parameters or {})
        for parameter in values:
            if parameter not in declared:
                close = difflib.get_close_matches(parameter, list(declared), n=1)
                raise InvalidParameterError(
                    f"parameters[{parameter!r}]",
                    values[parameter],
                    f"a parameter {path.name} declares ({', '.join(declared) or 'none'})",
                    nearest=f"parameters[{close[0]!r}]" if close else None,
                )
        for parameter, value in zip(COPILOT_PARAMETERS, (app, environment, name), strict=True):
            if parameter in declared and value is not None:
                values.setdefault(parameter, value)
        missing = [p for p in declared if p not in values and "Default" not in (declared[p] or {})]
        if missing:
            raise InvalidParameterError(
                "parameters",
                dict(values),
                f"a value for every parameter of {path.name} without a Default "
                f"(missing: {', '.join(missing)})",
            )
        self.include = cfn_include.CfnInclude(self, "Template", template_file=str(path))
        stack = stack_of(self)
        shared = _PARAMETERS.setdefault(stack, {})
        for parameter, value in values.items():
            if parameter in shared:
                # Copilot merges its add-ons' parameters: one App, Env, Name per stack. This
                # template's Refs resolve to the one an earlier add-on declared.
                if shared[parameter] != value:
                    raise InvalidParameterError(
                        f"parameters[{parameter!r}]",
                        value,
                        f"the value another add-on of stack {stack.stack_name} gave it "
                        f"({shared[parameter]!r}): one parameter per name in a stack",
                    )
                self.include.node.try_remove_child(parameter)
                continue
            shared[parameter] = value
            # A default, not CfnInclude(parameters=...): that inlines the value and leaves
            # every !Sub of only parameters without a variable (cfn-lint W1020).
            self.include.get_parameter(parameter).default = value
        self.wired: dict[str, str] = {}
        container = task.container
        for output, (how, variable) in output_wiring(template).items():
            # A Reference to the included resource, as a string token.
            value = Token.as_string(self.include.get_output(output).value)
            if how == "task role policy":
                task.task_role.add_managed_policy(
                    iam.ManagedPolicy.from_managed_policy_arn(self, f"{output}Policy", value)
                )
            elif how == "secret":
                assert variable is not None
                secret = secretsmanager.Secret.from_secret_complete_arn(
                    self, f"{output}Secret", value
                )
                container.add_secret(variable, ecs.Secret.from_secrets_manager(secret))
            elif how == "security group":
                if service is None:
                    raise InvalidParameterError(
                        "service",
                        None,
                        f"the service: output {output} of {path.name} is a security group "
                        "Copilot adds to the service",
                    )
                group = ec2.SecurityGroup.from_security_group_id(self, f"{output}Group", value)
                _add_security_group(service, group)
            else:
                assert variable is not None
                container.add_environment(variable, value)
            self.wired[output] = f"{how} {variable}" if variable else how

    def output(self, name: str) -> CfnOutput:
        """One of the template's outputs."""
        return self.include.get_output(name)


@jsii.implements(IStableListProducer)
class _SecurityGroupIds:
    def __init__(self, connections: ec2.Connections) -> None:
        self.connections = connections

    def produce(self) -> list[str]:
        return [group.security_group_id for group in self.connections.security_groups]


def _add_security_group(service: ecs.FargateService, group: ec2.ISecurityGroup) -> None:
    """A group added to a service that exists: ``connections`` learns it (rules), and the
    rendered network configuration lists it (the L2 rendered its groups when it was made)."""
    connections = service.connections
    connections.add_security_group(group)
    cfn = service.node.default_child
    assert isinstance(cfn, CfnResource)
    cfn.add_property_override(
        "NetworkConfiguration.AwsvpcConfiguration.SecurityGroups",
        Lazy.list(_SecurityGroupIds(connections)),
    )
